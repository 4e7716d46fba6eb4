// A checkpoint file seen as a list of named tensors, whatever its format (safetensors, PyTorch
// zip / pickle). Tensors load lazily as views into the mapped file where the layout allows.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"

namespace ad::io {

struct TensorInfo {
  std::string name;
  DType dtype = DType::F32;
  Shape shape;
};

class TensorFile {
 public:
  virtual ~TensorFile() = default;
  virtual const std::string& path() const = 0;
  // "safetensors" or "pytorch" (zip archive with data.pkl).
  virtual std::string_view format() const = 0;
  // Every tensor, in file order.
  virtual const std::vector<TensorInfo>& tensors() const = 0;
  // Loads one tensor (a view into the file when possible); throws ad::Error naming the file and
  // the tensor when it is absent or unreadable.
  virtual Tensor load(const std::string& name) const = 0;
  // Free-form string metadata: safetensors "__metadata__"; for PyTorch checkpoints the
  // non-tensor entries (global_step, epoch, ...) rendered as short Python-like text.
  virtual const std::map<std::string, std::string>& metadata() const = 0;

  const TensorInfo* find(const std::string& name) const;
  // Gives back the memory pages of the file this process holds (see MappedFile::drop_resident);
  // tensors loaded from it stay valid. No effect where tensors are not mapped from a file.
  virtual void drop_resident_pages() const {}
};

// Opens a checkpoint by content (the magic bytes), not by extension.
std::shared_ptr<TensorFile> open_tensor_file(const std::string& path);

}  // namespace ad::io

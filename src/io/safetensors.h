// safetensors reader (https://github.com/huggingface/safetensors, format version 0.x):
//
//   u64 little-endian  N              length of the header
//   N bytes            JSON header    {"name": {"dtype": "F32", "shape": [..], "data_offsets": [b, e]},
//                                      ..., "__metadata__": {"key": "value"}}
//   rest               byte buffer    tensor data; offsets [b, e) are relative to its start
//
// Everything is validated before use: N against the file size and a cap, each dtype, each shape,
// offsets inside the buffer, (e - b) == numel * dtype size without overflow, and no two tensors
// overlapping. The file is memory-mapped; tensors are zero-copy views.
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <string>

#include "io/mapped_file.h"
#include "io/tensor_file.h"

namespace ad::io {

inline constexpr size_t kSafetensorsMaxHeader = size_t{100} << 20;

struct SafetensorsEntry {
  TensorInfo info;
  size_t begin = 0;  // absolute byte offsets in the file
  size_t end = 0;
};

struct SafetensorsHeader {
  std::vector<SafetensorsEntry> entries;  // in file order of their data
  std::map<std::string, std::string> metadata;
};

// Parses and validates the header of a whole file image; `label` names the file in errors.
// Exposed separately so that it can be fuzzed without a file.
SafetensorsHeader parse_safetensors_header(std::span<const std::byte> file, const std::string& label);

class SafetensorsFile final : public TensorFile {
 public:
  static std::shared_ptr<SafetensorsFile> open(const std::string& path);

  const std::string& path() const override { return file_->path(); }
  std::string_view format() const override { return "safetensors"; }
  const std::vector<TensorInfo>& tensors() const override { return infos_; }
  Tensor load(const std::string& name) const override;
  const std::map<std::string, std::string>& metadata() const override { return header_.metadata; }
  void drop_resident_pages() const override { file_->drop_resident(); }

 private:
  std::shared_ptr<MappedFile> file_;
  SafetensorsHeader header_;
  std::vector<TensorInfo> infos_;
  std::map<std::string, size_t> index_;
};

// Writes tensors as a safetensors file (tests, tools, the fixture packer).
void write_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace ad::io

#include "io/tensor_file.h"

#include <fstream>

#include "io/pytorch_file.h"
#include "io/pytorch_zip.h"
#include "io/safetensors.h"

namespace ad::io {

const TensorInfo* TensorFile::find(const std::string& name) const {
  for (const auto& info : tensors())
    if (info.name == name) return &info;
  return nullptr;
}

std::shared_ptr<TensorFile> open_tensor_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  AD_CHECK(in.good(), "{}: cannot open", path);
  char head[16] = {};
  in.read(head, sizeof head);
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(head), static_cast<size_t>(in.gcount()));
  if (looks_like_zip(bytes)) return PytorchFile::open(path);
  if (is_legacy_torch_file(bytes)) fail("{}: legacy PyTorch format; re-save with torch>=1.6 or convert to safetensors", path);
  // safetensors: a u64 header length, then the JSON header's '{'.
  const bool json_at_8 = bytes.size() > 8 && bytes[8] == std::byte{'{'};
  // A bare pickle (PROTO opcode first) is not something torch.save writes.
  if (!json_at_8 && bytes.size() > 1 && bytes[0] == std::byte{0x80} && static_cast<uint8_t>(bytes[1]) <= 5)
    fail("{}: a bare pickle stream, neither a torch.save ZIP archive nor safetensors", path);
  return SafetensorsFile::open(path);
}

}  // namespace ad::io

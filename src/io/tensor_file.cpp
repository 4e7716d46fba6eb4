#include "io/tensor_file.h"

#include <fstream>

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
  char magic[4] = {};
  in.read(magic, 4);
  if (in.gcount() == 4 && magic[0] == 'P' && magic[1] == 'K' && magic[2] == 3 && magic[3] == 4)
    fail("{}: PyTorch zip checkpoints are not supported yet", path);
  return SafetensorsFile::open(path);
}

}  // namespace ad::io

#include "io/memory_tensor_file.h"

namespace ad::io {

void MemoryTensorFile::add(const std::string& name, const Tensor& tensor) {
  AD_CHECK(tensors_.emplace(name, tensor).second, "{}: tensor '{}' added twice", label_, name);
  infos_.push_back({name, tensor.dtype(), tensor.shape()});
}

Tensor MemoryTensorFile::load(const std::string& name) const {
  auto it = tensors_.find(name);
  AD_CHECK(it != tensors_.end(), "{}: no tensor named '{}'", label_, name);
  return it->second;
}

}  // namespace ad::io

// A TensorFile over tensors held in memory: weights made in the process (random weights of a
// real model's shape for benchmarks and tests) go through the same key maps and binders as files.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "io/tensor_file.h"

namespace ad::io {

class MemoryTensorFile final : public TensorFile {
 public:
  explicit MemoryTensorFile(std::string label) : label_(std::move(label)) {}

  void add(const std::string& name, const Tensor& tensor);

  const std::string& path() const override { return label_; }
  std::string_view format() const override { return "memory"; }
  const std::vector<TensorInfo>& tensors() const override { return infos_; }
  Tensor load(const std::string& name) const override;
  const std::map<std::string, std::string>& metadata() const override { return metadata_; }

 private:
  std::string label_;
  std::vector<TensorInfo> infos_;
  std::map<std::string, Tensor> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace ad::io

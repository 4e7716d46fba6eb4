// A sharded checkpoint seen as one TensorFile. Hugging Face writes large models as several
// files plus an index (model.safetensors.index.json, diffusion_pytorch_model.bin.index.json):
//
//   {"metadata": {"total_size": 123}, "weight_map": {"tensor.name": "model-00001-of-00002.safetensors", ...}}
//
// Every shard named in weight_map must be a plain file name in the index's folder (no path
// separators, so an index cannot point elsewhere) and must exist; every listed tensor must be in
// the shard it is listed under; no tensor may be in two shards. Shards are opened with
// open_tensor_file (safetensors or PyTorch zip).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/tensor_file.h"

namespace ad::io {

class ShardedTensorFile final : public TensorFile {
 public:
  static std::shared_ptr<ShardedTensorFile> open_index(const std::string& index_path);

  const std::string& path() const override { return path_; }
  std::string_view format() const override { return format_; }
  const std::vector<TensorInfo>& tensors() const override { return infos_; }
  Tensor load(const std::string& name) const override;
  const std::map<std::string, std::string>& metadata() const override { return metadata_; }
  void drop_resident_pages() const override {
    for (const auto& shard : shards_) shard->drop_resident_pages();
  }

  const std::vector<std::shared_ptr<TensorFile>>& shards() const { return shards_; }

 private:
  std::string path_;
  std::string format_;  // "sharded safetensors", "sharded pytorch"
  std::vector<std::shared_ptr<TensorFile>> shards_;
  std::vector<TensorInfo> infos_;
  std::map<std::string, size_t> shard_of_;  // tensor name -> index into shards_
  std::map<std::string, std::string> metadata_;
};

}  // namespace ad::io

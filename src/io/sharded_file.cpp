#include "io/sharded_file.h"

#include <filesystem>

#include "core/error.h"
#include "io/diffusers_folder.h"

namespace ad::io {

namespace fs = std::filesystem;

std::shared_ptr<ShardedTensorFile> ShardedTensorFile::open_index(const std::string& index_path) {
  const nlohmann::json index = read_json_file(index_path);
  AD_CHECK(index.is_object() && index.contains("weight_map") && index["weight_map"].is_object(),
           "{}: a shard index needs a \"weight_map\" object", index_path);
  auto file = std::shared_ptr<ShardedTensorFile>(new ShardedTensorFile());
  file->path_ = index_path;
  if (index.contains("metadata") && index["metadata"].is_object())
    for (const auto& [key, value] : index["metadata"].items())
      file->metadata_[key] = value.is_string() ? value.get<std::string>() : value.dump();

  const fs::path folder = fs::path(index_path).parent_path();
  std::map<std::string, size_t> shard_index;  // shard file name -> index into shards_
  std::map<std::string, size_t> listed;       // tensor -> shard it is listed under
  for (const auto& [tensor, shard_json] : index["weight_map"].items()) {
    AD_CHECK(shard_json.is_string(), "{}: weight_map['{}'] is not a file name", index_path, tensor);
    const std::string shard = shard_json.get<std::string>();
    AD_CHECK(!shard.empty() && shard.find('/') == std::string::npos && shard.find('\\') == std::string::npos &&
                 shard != "." && shard != "..",
             "{}: shard '{}' of tensor '{}' is not a plain file name in the index's folder", index_path, shard, tensor);
    auto [it, inserted] = shard_index.emplace(shard, file->shards_.size());
    if (inserted) {
      const std::string shard_path = (folder / shard).string();
      AD_CHECK(fs::is_regular_file(shard_path), "{}: shard '{}' (of tensor '{}') does not exist. Perhaps an incomplete download?",
               index_path, shard, tensor);
      file->shards_.push_back(open_tensor_file(shard_path));
    }
    listed[tensor] = it->second;
  }
  AD_CHECK(!file->shards_.empty(), "{}: the weight_map is empty", index_path);

  for (size_t s = 0; s < file->shards_.size(); ++s) {
    const auto& shard = file->shards_[s];
    if (file->format_.empty()) file->format_ = "sharded " + std::string(shard->format());
    for (const auto& info : shard->tensors()) {
      auto [it, inserted] = file->shard_of_.emplace(info.name, s);
      AD_CHECK(inserted, "{}: tensor '{}' is in two shards ({} and {})", index_path, info.name,
               file->shards_[it->second]->path(), shard->path());
      file->infos_.push_back(info);
    }
  }
  for (const auto& [tensor, s] : listed) {
    auto it = file->shard_of_.find(tensor);
    AD_CHECK(it != file->shard_of_.end() && it->second == s,
             "{}: tensor '{}' is listed in shard '{}' but that file has no such tensor", index_path, tensor,
             fs::path(file->shards_[s]->path()).filename().string());
  }
  return file;
}

Tensor ShardedTensorFile::load(const std::string& name) const {
  auto it = shard_of_.find(name);
  AD_CHECK(it != shard_of_.end(), "{}: no tensor named '{}'", path_, name);
  return shards_[it->second]->load(name);
}

}  // namespace ad::io

#include "models/t5/t5_keys.h"

namespace ad::models {

nn::WeightMap t5_encoder_weights(const std::shared_ptr<io::TensorFile>& file, const std::string& root_prefix) {
  const bool has_shared = file->find(root_prefix + "shared.weight") != nullptr;
  nn::WeightMap map;
  std::vector<std::string> ignored;
  map.add_file(file, root_prefix, [&](const std::string& name) -> std::optional<std::string> {
    if (name == "encoder.embed_tokens.weight") {
      if (!has_shared) return std::string("shared.weight");
      ignored.push_back("ignored." + name);
      return ignored.back();
    }
    if (name.rfind("decoder.", 0) == 0 || name == "lm_head.weight") {
      ignored.push_back("ignored." + name);
      return ignored.back();
    }
    if (name == "shared.weight" || name.rfind("encoder.", 0) == 0) return name;
    return std::nullopt;
  });
  for (const auto& name : ignored) map.mark_used(name);
  return map;
}

std::optional<std::string> find_t5_root(const io::TensorFile& file) {
  for (const char* root : {kSd3T5Prefix, ""})
    if (file.find(std::string(root) + "encoder.final_layer_norm.weight") &&
        file.find(std::string(root) + "encoder.block.0.layer.0.SelfAttention.q.weight"))
      return std::string(root);
  return std::nullopt;
}

}  // namespace ad::models

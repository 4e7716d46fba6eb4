#include "models/clip/clip_keys.h"

namespace ad::models {

nn::WeightMap clip_text_weights(const std::shared_ptr<io::TensorFile>& file, const std::string& root_prefix) {
  nn::WeightMap map;
  map.add_file(file, root_prefix, [](const std::string& name) -> std::optional<std::string> {
    if (name == "text_model.embeddings.position_ids") return std::string("ignored.position_ids");
    if (name.rfind("text_model.", 0) == 0 || name == "text_projection.weight") return name;
    return std::nullopt;
  });
  if (map.contains("ignored.position_ids")) map.mark_used("ignored.position_ids");
  return map;
}

std::string detect_clip_root(const io::TensorFile& file) {
  static const char* kRoots[] = {"cond_stage_model.transformer.", "text_encoders.clip_l.transformer.",
                                 "text_encoders.clip_g.transformer.", ""};
  for (const char* root : kRoots)
    if (file.find(std::string(root) + "text_model.embeddings.token_embedding.weight")) return root;
  fail("{}: no CLIP text encoder found (expected 'text_model.embeddings.token_embedding.weight' under one of the known prefixes)",
       file.path());
}

}  // namespace ad::models

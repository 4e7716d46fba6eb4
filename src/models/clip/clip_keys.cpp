#include "models/clip/clip_keys.h"

#include "models/clip/openclip_keys.h"

namespace ad::models {

namespace {

struct KnownRoot {
  const char* prefix;
  ClipKeyLayout layout;
  ClipSlot slot;  // Any: the file itself says nothing about which encoder it is
};

// In the order find_clip_root tries them (the table in clip_keys.h).
constexpr KnownRoot kKnownRoots[] = {
    {"text_encoders.clip_l.transformer.", ClipKeyLayout::HuggingFace, ClipSlot::L},
    {"text_encoders.clip_g.transformer.", ClipKeyLayout::HuggingFace, ClipSlot::G},
    {"cond_stage_model.transformer.", ClipKeyLayout::HuggingFace, ClipSlot::L},
    {"conditioner.embedders.0.transformer.", ClipKeyLayout::HuggingFace, ClipSlot::L},
    {"conditioner.embedders.1.model.", ClipKeyLayout::OpenClip, ClipSlot::G},
    {"conditioner.embedders.0.model.", ClipKeyLayout::OpenClip, ClipSlot::G},
    {"", ClipKeyLayout::HuggingFace, ClipSlot::Any},
    {"", ClipKeyLayout::OpenClip, ClipSlot::Any},
};

bool holds_clip(const io::TensorFile& file, const std::string& prefix, ClipKeyLayout layout) {
  const char* probe = layout == ClipKeyLayout::HuggingFace ? "text_model.embeddings.token_embedding.weight"
                                                           : "transformer.resblocks.0.attn.in_proj_weight";
  return file.find(prefix + probe) != nullptr;
}

}  // namespace

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

nn::WeightMap clip_text_weights(const std::shared_ptr<io::TensorFile>& file, const ClipRoot& root) {
  return root.layout == ClipKeyLayout::OpenClip ? openclip_text_weights(file, root.prefix)
                                                : clip_text_weights(file, root.prefix);
}

std::string detect_clip_root(const io::TensorFile& file) {
  static const char* kRoots[] = {"cond_stage_model.transformer.", "text_encoders.clip_l.transformer.",
                                 "text_encoders.clip_g.transformer.", ""};
  for (const char* root : kRoots)
    if (file.find(std::string(root) + "text_model.embeddings.token_embedding.weight")) return root;
  fail("{}: no CLIP text encoder found (expected 'text_model.embeddings.token_embedding.weight' under one of the known prefixes)",
       file.path());
}

std::optional<ClipRoot> find_clip_root(const io::TensorFile& file, ClipSlot slot) {
  for (const KnownRoot& root : kKnownRoots) {
    if (slot != ClipSlot::Any && root.slot != ClipSlot::Any && root.slot != slot) continue;
    if (holds_clip(file, root.prefix, root.layout)) return ClipRoot{root.prefix, root.layout};
  }
  return std::nullopt;
}

}  // namespace ad::models

// Key map of Stability's single-file MMDiT checkpoints (sd3_medium.safetensors,
// sd3.5_medium.safetensors, sd3.5_large.safetensors; names under `model.diffusion_model.`) onto
// the module tree (diffusers SD3Transformer2DModel names), as diffusers 0.32.2
// convert_sd3_transformer_checkpoint_to_diffusers does it. {i} is the block index; the
// fused qkv tensors (weights and biases) are split in three along dim 0 (q, k, v); the adaLN
// tensors of the final layer and of the last block's (pre-only) context stream store
// [shift; scale], diffusers [scale; shift]: their halves are swapped.
//
//   original                                        canonical                                         transform
//   pos_embed                                       pos_embed.pos_embed
//   x_embedder.proj.{weight,bias}                   pos_embed.proj.*
//   t_embedder.mlp.0 / mlp.2                        time_text_embed.timestep_embedder.linear_1 / linear_2
//   y_embedder.mlp.0 / mlp.2                        time_text_embed.text_embedder.linear_1 / linear_2
//   context_embedder                                context_embedder
//   final_layer.linear                              proj_out
//   final_layer.adaLN_modulation.1                  norm_out.linear                                   swap halves
//   joint_blocks.{i}.x_block.attn.qkv               transformer_blocks.{i}.attn.to_q / to_k / to_v    thirds
//   joint_blocks.{i}.x_block.attn.ln_q / ln_k       transformer_blocks.{i}.attn.norm_q / norm_k        (qk-norm models)
//   joint_blocks.{i}.x_block.attn.proj              transformer_blocks.{i}.attn.to_out.0
//   joint_blocks.{i}.x_block.attn2.qkv              transformer_blocks.{i}.attn2.to_q / to_k / to_v   thirds (dual attention)
//   joint_blocks.{i}.x_block.attn2.ln_q / ln_k      transformer_blocks.{i}.attn2.norm_q / norm_k
//   joint_blocks.{i}.x_block.attn2.proj             transformer_blocks.{i}.attn2.to_out.0
//   joint_blocks.{i}.x_block.adaLN_modulation.1     transformer_blocks.{i}.norm1.linear
//   joint_blocks.{i}.x_block.mlp.fc1 / fc2          transformer_blocks.{i}.ff.net.0.proj / ff.net.2
//   joint_blocks.{i}.context_block.attn.qkv         transformer_blocks.{i}.attn.add_q_proj / add_k_proj / add_v_proj  thirds
//   joint_blocks.{i}.context_block.attn.ln_q / ln_k transformer_blocks.{i}.attn.norm_added_q / norm_added_k
//   joint_blocks.{i}.context_block.attn.proj        transformer_blocks.{i}.attn.to_add_out            (not the last block)
//   joint_blocks.{i}.context_block.adaLN_modulation.1  transformer_blocks.{i}.norm1_context.linear    swap halves in the last block
//   joint_blocks.{i}.context_block.mlp.fc1 / fc2    transformer_blocks.{i}.ff_context.net.0.proj / ff_context.net.2  (not the last block)
// Module paths carry `.weight` and `.bias` alike (the norms only `.weight`).
#include <regex>

#include "models/mmdit/mmdit_keys.h"

namespace ad::models {

namespace {

using nn::WeightTransform;

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

struct ModuleRule {
  std::string_view original;   // module path, without .weight / .bias
  std::string_view canonical;  // one target, or the q target of a fused qkv
  std::string_view k, v;       // the k and v targets of a fused qkv
};

constexpr ModuleRule kTopRules[] = {
    {"x_embedder.proj", "pos_embed.proj", {}, {}},
    {"t_embedder.mlp.0", "time_text_embed.timestep_embedder.linear_1", {}, {}},
    {"t_embedder.mlp.2", "time_text_embed.timestep_embedder.linear_2", {}, {}},
    {"y_embedder.mlp.0", "time_text_embed.text_embedder.linear_1", {}, {}},
    {"y_embedder.mlp.2", "time_text_embed.text_embedder.linear_2", {}, {}},
    {"context_embedder", "context_embedder", {}, {}},
    {"final_layer.linear", "proj_out", {}, {}},
    {"final_layer.adaLN_modulation.1", "norm_out.linear", {}, {}},
};

constexpr ModuleRule kImageRules[] = {
    {"attn.qkv", "attn.to_q", "attn.to_k", "attn.to_v"},
    {"attn.ln_q", "attn.norm_q", {}, {}},
    {"attn.ln_k", "attn.norm_k", {}, {}},
    {"attn.proj", "attn.to_out.0", {}, {}},
    {"attn2.qkv", "attn2.to_q", "attn2.to_k", "attn2.to_v"},
    {"attn2.ln_q", "attn2.norm_q", {}, {}},
    {"attn2.ln_k", "attn2.norm_k", {}, {}},
    {"attn2.proj", "attn2.to_out.0", {}, {}},
    {"adaLN_modulation.1", "norm1.linear", {}, {}},
    {"mlp.fc1", "ff.net.0.proj", {}, {}},
    {"mlp.fc2", "ff.net.2", {}, {}},
};

constexpr ModuleRule kContextRules[] = {
    {"attn.qkv", "attn.add_q_proj", "attn.add_k_proj", "attn.add_v_proj"},
    {"attn.ln_q", "attn.norm_added_q", {}, {}},
    {"attn.ln_k", "attn.norm_added_k", {}, {}},
    {"attn.proj", "attn.to_add_out", {}, {}},
    {"adaLN_modulation.1", "norm1_context.linear", {}, {}},
    {"mlp.fc1", "ff_context.net.0.proj", {}, {}},
    {"mlp.fc2", "ff_context.net.2", {}, {}},
};

// Applies the first rule whose module path `name` starts with (followed by ".weight" / ".bias").
template <size_t N>
std::vector<MmditKeyTarget> apply(const ModuleRule (&rules)[N], const std::string& name, const std::string& canonical_prefix,
                                  bool swap_halves_of_modulation) {
  for (const ModuleRule& rule : rules) {
    if (!starts_with(name, rule.original) || name.size() <= rule.original.size() || name[rule.original.size()] != '.')
      continue;
    const std::string param = name.substr(rule.original.size());  // ".weight" / ".bias"
    if (param != ".weight" && param != ".bias") return {};
    if (!rule.k.empty()) {
      std::vector<MmditKeyTarget> parts;
      int part = 0;
      for (std::string_view target : {rule.canonical, rule.k, rule.v})
        parts.push_back({canonical_prefix + std::string(target) + param, WeightTransform::Chunk, part++, 3});
      return parts;
    }
    const bool swap = swap_halves_of_modulation && rule.original.find("adaLN_modulation") != std::string_view::npos;
    return {{canonical_prefix + std::string(rule.canonical) + param, swap ? WeightTransform::SwapHalves : WeightTransform::None,
             0, 1}};
  }
  return {};
}

}  // namespace

std::vector<MmditKeyTarget> mmdit_original_targets(const std::string& name, int last_block) {
  if (name == "pos_embed") return {{"pos_embed.pos_embed", WeightTransform::None, 0, 1}};
  static const std::regex kBlock(R"(^joint_blocks\.(\d+)\.(x_block|context_block)\.(.+)$)");
  std::smatch m;
  if (std::regex_match(name, m, kBlock)) {
    const int block = std::stoi(m[1].str());
    const std::string prefix = "transformer_blocks." + m[1].str() + ".";
    if (m[2].str() == "x_block") return apply(kImageRules, m[3].str(), prefix, false);
    return apply(kContextRules, m[3].str(), prefix, block == last_block);
  }
  // The final layer's adaLN is always swapped.
  return apply(kTopRules, name, "", true);
}

nn::WeightMap mmdit_original_weights(const std::shared_ptr<io::TensorFile>& file, const std::string& prefix) {
  static const std::regex kBlockIndex(R"(^joint_blocks\.(\d+)\.)");
  int last_block = -1;
  for (const auto& info : file->tensors()) {
    if (!starts_with(info.name, prefix)) continue;
    const std::string local = info.name.substr(prefix.size());
    std::smatch m;
    if (std::regex_search(local, m, kBlockIndex)) last_block = std::max(last_block, std::stoi(m[1].str()));
  }
  nn::WeightMap map;
  for (const auto& info : file->tensors()) {
    if (!starts_with(info.name, prefix)) continue;
    const std::vector<MmditKeyTarget> targets = mmdit_original_targets(info.name.substr(prefix.size()), last_block);
    if (targets.empty()) map.add_unexpected(file, info.name);
    for (const MmditKeyTarget& t : targets) map.add(t.canonical, nn::WeightSource{file, info.name, t.transform, t.part, t.parts});
  }
  return map;
}

}  // namespace ad::models

// Key map of diffusers SD3Transformer2DModel files (`transformer/diffusion_pytorch_model*.safetensors`,
// diffusers 0.32.2): their names are the module tree's own, taken as they are; any other name
// is reported as unexpected. {i} is the block index.
//
//   pos_embed.pos_embed, pos_embed.proj.{weight,bias}               patch embedding + position table
//   time_text_embed.timestep_embedder.linear_1 / linear_2           timestep MLP (256 -> C -> C)
//   time_text_embed.text_embedder.linear_1 / linear_2               pooled-vector MLP
//   context_embedder                                                context projection
//   transformer_blocks.{i}.norm1.linear                             image adaLN (6C, 9C with attn2)
//   transformer_blocks.{i}.norm1_context.linear                     context adaLN (6C; last block 2C = [scale; shift])
//   transformer_blocks.{i}.attn.to_q / to_k / to_v / to_out.0       image stream of the joint attention
//   transformer_blocks.{i}.attn.add_q_proj / add_k_proj / add_v_proj / to_add_out   context stream (no to_add_out in the last block)
//   transformer_blocks.{i}.attn.norm_q / norm_k / norm_added_q / norm_added_k       RMS qk norms (SD3.5)
//   transformer_blocks.{i}.attn2.to_q / to_k / to_v / to_out.0 / norm_q / norm_k   dual attention (SD3.5 Medium)
//   transformer_blocks.{i}.ff.net.0.proj / ff.net.2                  image MLP (GELU tanh)
//   transformer_blocks.{i}.ff_context.net.0.proj / ff_context.net.2  context MLP (not the last block)
//   norm_out.linear                                                 final adaLN, [scale; shift]
//   proj_out                                                        final projection to p*p*16
#include <regex>

#include "models/mmdit/mmdit_keys.h"

namespace ad::models {

std::optional<std::string> mmdit_diffusers_name(const std::string& name) {
  static const std::regex kKnown(
      R"(^(pos_embed\.pos_embed|pos_embed\.proj\.(weight|bias))$)"
      R"(|^time_text_embed\.(timestep_embedder|text_embedder)\.linear_[12]\.(weight|bias)$)"
      R"(|^(context_embedder|norm_out\.linear|proj_out)\.(weight|bias)$)"
      R"(|^transformer_blocks\.\d+\.(norm1|norm1_context)\.linear\.(weight|bias)$)"
      R"(|^transformer_blocks\.\d+\.attn\.(to_q|to_k|to_v|to_out\.0|add_q_proj|add_k_proj|add_v_proj|to_add_out)\.(weight|bias)$)"
      R"(|^transformer_blocks\.\d+\.attn\.(norm_q|norm_k|norm_added_q|norm_added_k)\.weight$)"
      R"(|^transformer_blocks\.\d+\.attn2\.(to_q|to_k|to_v|to_out\.0)\.(weight|bias)$)"
      R"(|^transformer_blocks\.\d+\.attn2\.(norm_q|norm_k)\.weight$)"
      R"(|^transformer_blocks\.\d+\.(ff|ff_context)\.net\.(0\.proj|2)\.(weight|bias)$)");
  if (std::regex_match(name, kKnown)) return name;
  return std::nullopt;
}

nn::WeightMap mmdit_diffusers_weights(const std::shared_ptr<io::TensorFile>& file, const std::string& prefix) {
  nn::WeightMap map;
  map.add_file(file, prefix, [](const std::string& name) { return mmdit_diffusers_name(name); });
  return map;
}

MmditFileLayout detect_mmdit_layout(const io::TensorFile& file) {
  for (const char* prefix : {"model.diffusion_model.", ""})
    if (file.find(std::string(prefix) + "x_embedder.proj.weight")) return {MmditLayout::Original, prefix};
  for (const char* prefix : {"", "transformer.", "model.diffusion_model."})
    if (file.find(std::string(prefix) + "pos_embed.proj.weight")) return {MmditLayout::Diffusers, prefix};
  fail("{}: no MMDiT found (expected 'model.diffusion_model.x_embedder.proj.weight' of a single-file checkpoint or "
       "'pos_embed.proj.weight' of a diffusers transformer)",
       file.path());
}

nn::WeightMap mmdit_weights(const std::shared_ptr<io::TensorFile>& file) {
  const MmditFileLayout layout = detect_mmdit_layout(*file);
  if (layout.layout == MmditLayout::Original) return mmdit_original_weights(file, layout.prefix);
  return mmdit_diffusers_weights(file, layout.prefix);
}

}  // namespace ad::models

// Checkpoint key maps of the SD1.x UNet onto its module tree (diffusers names).
//
// LDM single file (`model.diffusion_model.` + left) -> diffusers (right); L = layers per block:
//   time_embed.0 / .2                 time_embedding.linear_1 / linear_2
//   input_blocks.0.0                  conv_in
//   input_blocks.(1+i(L+1)+j).0       down_blocks.i.resnets.j            (j < L)
//   input_blocks.(1+i(L+1)+j).1       down_blocks.i.attentions.j
//   input_blocks.(1+i(L+1)+L).0.op    down_blocks.i.downsamplers.0.conv
//   middle_block.0 / .1 / .2          mid_block.resnets.0 / attentions.0 / resnets.1
//   output_blocks.(i(L+1)+j).0        up_blocks.i.resnets.j
//   output_blocks.(i(L+1)+j).1        up_blocks.i.attentions.j, or upsamplers.0 (`.1.conv`, no attention)
//   output_blocks.(i(L+1)+L).2        up_blocks.i.upsamplers.0
//   out.0 / out.2                     conv_norm_out / conv_out
// ResNet internals: in_layers.0 norm1, in_layers.2 conv1, emb_layers.1 time_emb_proj,
// out_layers.0 norm2, out_layers.3 conv2, skip_connection conv_shortcut. Transformers keep their names.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "io/tensor_file.h"
#include "nn/weights.h"

namespace ad::models {

inline constexpr const char* kLdmUNetPrefix = "model.diffusion_model.";

// The LDM name (without the prefix) as its diffusers name; nullopt for a name the map does not know.
std::optional<std::string> unet_ldm_to_diffusers(const std::string& name, int layers_per_block);
// Layers per block of an LDM UNet, from the position of its first downsampler.
int ldm_unet_layers_per_block(const io::TensorFile& file);

// Weights of the UNet in `file`: the LDM layout when the file has `model.diffusion_model.*`
// keys (other models' keys in a single-file checkpoint are left alone), else diffusers names.
nn::WeightMap unet_weights(const std::shared_ptr<io::TensorFile>& file);

}  // namespace ad::models

// Checkpoint key maps of the VAE onto its module tree (diffusers AutoencoderKL names).
//
// LDM (`first_stage_model.` + left in single files; bare in stand-alone VAE files) -> diffusers:
//   X.conv_in / X.conv_out / quant_conv / post_quant_conv     same
//   X.norm_out                                                 X.conv_norm_out
//   encoder.down.i.block.j                                     encoder.down_blocks.i.resnets.j
//   encoder.down.i.downsample                                  encoder.down_blocks.i.downsamplers.0
//   decoder.up.i.block.j                                       decoder.up_blocks.(n-1-i).resnets.j
//   decoder.up.i.upsample                                      decoder.up_blocks.(n-1-i).upsamplers.0
//   X.mid.block_1 / block_2                                    X.mid_block.resnets.0 / resnets.1
//   X.mid.attn_1.{norm,q,k,v,proj_out}                         X.mid_block.attentions.0.{group_norm,to_q,to_k,to_v,to_out.0}
//   ...nin_shortcut                                            ...conv_shortcut
// The LDM attention projections are 1x1 convolution kernels [C, C, 1, 1]; nn::Linear accepts them.
// diffusers files saved before 0.14 name the attention query/key/value/proj_attn: renamed too.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "io/tensor_file.h"
#include "nn/weights.h"

namespace ad::models {

std::optional<std::string> vae_ldm_to_diffusers(const std::string& name, int decoder_levels);
// Weights of the VAE in `file`, under `prefix` ("first_stage_model." for single files, "" for a
// stand-alone VAE), in the LDM or the diffusers layout (detected from the names).
nn::WeightMap vae_weights(const std::shared_ptr<io::TensorFile>& file, const std::string& prefix);
// The prefix of the VAE in `file` ("first_stage_model." or ""), or an error.
std::string detect_vae_prefix(const io::TensorFile& file);

}  // namespace ad::models

// Checkpoint key maps of AnimateDiff motion modules onto diffusers MotionAdapter names.
// The module prefix (`down_blocks.i.motion_modules.j.`, `mid_block.motion_modules.0.`,
// `up_blocks.i.motion_modules.j.`) is the same in both layouts; inside a module:
//
//   original (mm_sd_v15_v2.ckpt, ...)                                  diffusers MotionAdapter
//   temporal_transformer.norm / proj_in / proj_out                     norm / proj_in / proj_out
//   temporal_transformer.transformer_blocks.T.attention_blocks.A.X     transformer_blocks.T.attn{A+1}.X
//   ...attention_blocks.A.pos_encoder.pe (1, max_len, C)               transformer_blocks.T.attn{A+1}.pos_encoder.pe
//   ...transformer_blocks.T.norms.A                                    transformer_blocks.T.norm{A+1}
//   ...transformer_blocks.T.ff_norm                                    transformer_blocks.T.norm3
//   ...transformer_blocks.T.ff.net.{0.proj,2}                          same
// diffusers stores one recomputed table per block, transformer_blocks.T.pos_embed.pe.
// As the original loader does, only keys containing `motion_modules.` are taken (a top-level
// `state_dict` wrapper is unwrapped by the .ckpt reader; anything before the block name, such as a
// `module.` prefix, is dropped).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "io/tensor_file.h"
#include "nn/weights.h"

namespace ad::models {

std::optional<std::string> motion_original_to_diffusers(const std::string& name);
// Weights of every motion module in `file`, in either layout.
nn::WeightMap motion_module_weights(const std::shared_ptr<io::TensorFile>& file);

}  // namespace ad::models

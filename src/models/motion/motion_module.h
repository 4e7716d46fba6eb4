// AnimateDiff motion modules: one temporal transformer after each (ResNet, spatial transformer)
// pair of the UNet. References: guoyww/AnimateDiff animatediff/models/motion_module.py
// (https://github.com/guoyww/AnimateDiff/blob/e92bd56/animatediff/models/motion_module.py) and
// diffusers AnimateDiffTransformer3D / MotionAdapter. Module names follow diffusers' MotionAdapter;
// motion_keys.cpp maps the original checkpoint layout onto them.
//
//   x [(b f), C, H, W] -> GroupNorm (per frame; diffusers: over all frames) -> tokens [(b f), HW, C]
//   -> proj_in -> for a in 0, 1: h += attn_a(LN_a(h) + pe[:f]) over the f frames of each (b, position)
//   -> h += ff(LN_3(h)) (GEGLU) -> proj_out -> back to [(b f), C, H, W] -> + x
#pragma once

#include <map>
#include <string>
#include <vector>

#include "models/unet/unet.h"
#include "nn/attention.h"
#include "sampling/context_windows.h"

namespace ad::models {

enum class MotionModuleVersion { V1, V2, V3, Unknown };
std::string_view motion_module_version_name(MotionModuleVersion version);

// Which statistics the module's GroupNorm uses (the one place the references disagree).
enum class MotionNorm {
  PerFrame,    // original AnimateDiff, ComfyUI-AnimateDiff-Evolved, stable-diffusion.cpp
  OverFrames,  // diffusers AnimateDiffTransformer3D
};

// The sinusoidal table of the original PositionalEncoding, in float32:
// pe[p, 2i] = sin(p * exp(-(2i) ln(10000) / C)), pe[p, 2i+1] = cos(same).  [max_len, C]
Tensor motion_positional_table(int64_t max_len, int64_t channels);

struct MotionModuleOptions {
  MotionNorm norm = MotionNorm::PerFrame;
  // Add the positional table stored in the file (often F16-rounded) instead of the exact one.
  bool use_file_positional_table = false;
  // FreeNoise windows of the temporal attention, for clips longer than one window.
  sampling::ContextWindows windows;
};

class TemporalTransformer {
 public:
  static TemporalTransformer load(const nn::Binder& b, int64_t heads, int64_t max_len, bool use_file_table);
  int64_t channels() const { return proj_in_.in_features; }
  int64_t max_frames() const { return max_len_; }
  // x [(b f), C, H, W]; debug names: after_norm, after_proj_in, after_attention_block_{0,1},
  // after_ff, after_proj_out.
  Tensor forward(const Tensor& x, int64_t frames, MotionNorm norm, const sampling::ContextWindows& windows = {},
                 const DebugSink& debug = {}) const;

 private:
  struct Block {
    nn::LayerNorm norms[2];
    nn::MultiHeadAttention attention[2];
    Tensor positional[2];  // [max_len, C] F32
    nn::LayerNorm ff_norm;
    nn::GegluFeedForward ff;
  };
  Tensor temporal_attention(const nn::MultiHeadAttention& attention, const Tensor& normed, const Tensor& residual,
                            int64_t frames) const;
  // Both attention sub-blocks of `block` on h [(b f), HW, C] (positional table from frame 0).
  Tensor attention_blocks(const Block& block, const Tensor& h, int64_t frames, const DebugSink& debug) const;

  nn::GroupNorm norm_;
  nn::Linear proj_in_, proj_out_;
  std::vector<Block> blocks_;
  int64_t max_len_ = 0;
};

// Every motion module of a checkpoint, by UNet slot ("down_blocks.1.motion_modules.0", ...).
class MotionModuleSet final : public TemporalLayers {
 public:
  // heads: from the motion module config (8 in every released model).
  static MotionModuleSet load(const nn::WeightMap& map, const MotionModuleOptions& options, int64_t heads = 8);
  MotionModuleVersion version() const { return version_; }
  int64_t max_frames() const { return max_len_; }
  bool has(const std::string& slot) const { return modules_.count(slot) != 0; }
  const TemporalTransformer& module(const std::string& slot) const;
  size_t size() const { return modules_.size(); }
  void set_context_windows(const sampling::ContextWindows& windows) { options_.windows = windows; }
  // Errors (naming the slot) unless every slot of `unet` has a module of the right width, and
  // no module is left over.
  void check_fits(const UNetConfig& unet) const;

  Tensor apply(const UNetSlot& slot, const Tensor& h, int64_t frames) const override;

 private:
  std::map<std::string, TemporalTransformer> modules_;
  MotionModuleVersion version_ = MotionModuleVersion::Unknown;
  int64_t max_len_ = 0;
  MotionModuleOptions options_;
};

}  // namespace ad::models

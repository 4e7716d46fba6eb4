// SD1.x UNet2DConditionModel. References: diffusers UNet2DConditionModel
// (https://github.com/huggingface/diffusers/blob/560fb5f/src/diffusers/models/unets/unet_2d_condition.py)
// and the LDM openaimodel.UNetModel. Module names follow diffusers; the LDM single-file layout is
// mapped onto them in unet_keys.cpp.
//
//   temb = linear_2(SiLU(linear_1(sinusoid(t))))
//   h = conv_in(x); skips = [h]
//   down block i: (ResNet -> [transformer]) x layers, skips += each, -> downsample (not last), skips += it
//   mid: ResNet -> transformer -> ResNet
//   up block i: (cat(h, skips.pop()) -> ResNet -> [transformer]) x (layers + 1) -> upsample (not last)
//   out = conv_out(SiLU(GroupNorm(h)))
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "models/unet/unet_config.h"
#include "nn/resnet.h"
#include "nn/transformer2d.h"

namespace ad::models {

// Receives named intermediates ("time_proj", "conv_in", "down_blocks.0", "mid_block", ...).
using DebugSink = std::function<void(std::string_view name, const Tensor& value)>;

// Sinusoidal timestep features as diffusers' Timesteps(dim, flip_sin_to_cos=True, shift=0)
// computes them in float32: [cos(t * f_i) | sin(t * f_i)], f_i = exp(-ln(10000) * i / (dim/2)).
Tensor timestep_embedding(const Tensor& timesteps, int64_t dim);

// A place in the UNet after a (ResNet, spatial transformer) pair, where video models insert
// their temporal layers.
struct UNetSlot {
  enum class Kind { Down, Mid, Up };
  Kind kind = Kind::Down;
  int block = 0;
  int layer = 0;
  // "down_blocks.1.motion_modules.0", "mid_block.motion_modules.0", "up_blocks.3.motion_modules.2"
  std::string name() const;
};

// Temporal layers (AnimateDiff motion modules) applied at UNet slots.
class TemporalLayers {
 public:
  virtual ~TemporalLayers() = default;
  // h [(b f), C, H, W] -> same shape; a slot without a layer returns h.
  virtual Tensor apply(const UNetSlot& slot, const Tensor& h, int64_t frames) const = 0;
};

// How the UNet runs on video: the rows of `sample` are the frames of videos (row b*frames + f).
struct VideoOptions {
  int64_t frames = 1;
  const TemporalLayers* temporal = nullptr;
  // AnimateDiff v1 (use_inflated_groupnorm=false): the ResNet GroupNorms and conv_norm_out take
  // their statistics over all frames of a video.
  bool resnet_norm_over_frames = false;
};

class UNet2DConditionModel {
 public:
  static UNet2DConditionModel load(const nn::Binder& b, const UNetConfig& config);
  const UNetConfig& config() const { return config_; }

  // sample [N, C, H, W] (H, W multiples of 2^(levels-1)); timesteps [N], [N / frames] (one per
  // video) or [1] (F32); context [N, S, D] or [N / frames, S, D] (one per video, shared by its
  // frames).
  Tensor forward(const Tensor& sample, const Tensor& timesteps, const Tensor& context, const VideoOptions& video = {},
                 const DebugSink& debug = {}) const;

 private:
  struct Layer {
    nn::ResnetBlock2D resnet;
    std::optional<nn::SpatialTransformer> attention;
  };
  struct Block {
    std::vector<Layer> layers;
    std::optional<nn::Downsample2D> downsample;
    std::optional<nn::Upsample2D> upsample;
  };

  Tensor run_layer(const Layer& layer, const Tensor& h, const Tensor& temb, const Tensor& context,
                   const VideoOptions& video, const UNetSlot& slot) const;

  UNetConfig config_;
  nn::Linear time_linear_1_, time_linear_2_;
  nn::Conv2d conv_in_, conv_out_;
  std::vector<Block> down_, up_;
  Layer mid_first_;
  nn::ResnetBlock2D mid_last_;
  nn::GroupNorm norm_out_;
};

}  // namespace ad::models

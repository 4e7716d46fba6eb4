// Convolutional blocks shared by the UNet and the VAEs (diffusers ResnetBlock2D, Downsample2D,
// Upsample2D; LDM ResBlock / ResnetBlock, Downsample, Upsample).
#pragma once

#include "nn/layers.h"

namespace ad::nn {

// norm1 -> SiLU -> conv1 (+ time_emb_proj(temb) per channel) -> norm2 -> SiLU -> conv2, plus the
// input (through a 1x1 conv_shortcut when the width changes).
struct ResnetBlock2D {
  GroupNorm norm1, norm2;
  Conv2d conv1, conv2;
  Linear time_emb_proj;  // absent in the VAE
  Conv2d conv_shortcut;  // absent when in == out
  bool has_time = false;
  bool has_shortcut = false;

  // `in`, `out` of -1 are read from the weights; temb_channels 0 = no time embedding.
  static ResnetBlock2D load(const Binder& b, int64_t in, int64_t out, int64_t temb_channels, int groups, float eps);
  int64_t out_channels() const { return conv2.out_channels; }
  // temb_silu: SiLU(time embedding) [N or 1, temb_channels], or undefined. norm_frames > 1: the
  // rows are frames of videos and both GroupNorms span each video's frames (AnimateDiff v1).
  Tensor operator()(const Tensor& x, const Tensor& temb_silu = {}, int64_t norm_frames = 1) const;
};

// 3x3 convolution with stride 2; `asymmetric_pad` pads (0, 1, 0, 1) and convolves without padding
// (the VAE encoder's downsampler), otherwise padding 1 (the UNet's).
struct Downsample2D {
  Conv2d conv;
  static Downsample2D load(const Binder& b, int64_t channels, bool asymmetric_pad);
  Tensor operator()(const Tensor& x) const { return conv(x); }
};

// Nearest-neighbour x2, then a 3x3 convolution.
struct Upsample2D {
  Conv2d conv;
  static Upsample2D load(const Binder& b, int64_t channels);
  Tensor operator()(const Tensor& x) const { return conv(ops::upsample_nearest(x, 2)); }
  // To height x width (the skip connection's size when a latent side is odd somewhere down the
  // UNet): nearest x2 cropped equals nearest interpolation from ceil(n / 2) to n.
  Tensor operator()(const Tensor& x, int64_t height, int64_t width) const;
};

}  // namespace ad::nn

// Basic layers over ops.h: small structs holding bound weights, with a forward call. Each is
// bound from a Binder positioned at the layer's own prefix (its checkpoint sub-tree), with the
// shapes it expects, so that a wrong checkpoint fails at load time naming the tensor.
#pragma once

#include "backend/ops.h"
#include "nn/weights.h"

namespace ad::nn {

struct Linear {
  Tensor weight;  // [out, in]
  Tensor bias;    // [out] or undefined
  int64_t in_features = 0;
  int64_t out_features = 0;

  // `in`/`out` of -1 are read from the stored weight. A stored [out, in, 1, 1] 1x1 convolution
  // kernel is accepted as the same linear map (SD1.5 proj_in / proj_out and VAE attention).
  static Linear load(const Binder& b, int64_t in, int64_t out, bool bias = true);
  Tensor operator()(const Tensor& x, const Epilogue& epilogue = {}) const {
    return ops::linear(x, weight, bias, epilogue);
  }
};

struct Conv2d {
  Tensor weight;  // [out, in, kh, kw]
  Tensor bias;
  Conv2dOptions options;
  int64_t in_channels = 0;
  int64_t out_channels = 0;

  // `out` of -1 is read from the stored weight; the kernel size is read from it too.
  static Conv2d load(const Binder& b, int64_t in, int64_t out, int stride = 1, int padding = -1);
  Tensor operator()(const Tensor& x, const Epilogue& epilogue = {}) const {
    return ops::conv2d(x, weight, bias, options, epilogue);
  }
};

struct GroupNorm {
  Tensor weight, bias;
  int groups = 32;
  float eps = 1e-5f;

  static GroupNorm load(const Binder& b, int64_t channels, int groups, float eps);
  Tensor operator()(const Tensor& x, bool silu = false) const { return ops::group_norm(x, groups, weight, bias, eps, silu); }
  // x holds the frames of videos as rows [(b f), C, H, W]: statistics span all `frames` frames of
  // each video (torch GroupNorm on the 5-D (b, C, f, H, W) tensor). frames <= 1: per image.
  Tensor over_frames(const Tensor& x, int64_t frames, bool silu = false) const;
};

struct LayerNorm {
  Tensor weight, bias;
  float eps = 1e-5f;

  static LayerNorm load(const Binder& b, int64_t features, float eps, bool bias = true);
  Tensor operator()(const Tensor& x) const { return ops::layer_norm(x, weight, bias, eps); }
};

struct RmsNorm {
  Tensor weight;
  float eps = 1e-6f;

  static RmsNorm load(const Binder& b, int64_t features, float eps);
  Tensor operator()(const Tensor& x) const { return ops::rms_norm(x, weight, eps); }
};

// Tokens of a channels-last [N, C, H, W] tensor as [N, H*W, C] (a view when channels-last).
Tensor image_to_tokens(const Tensor& x);
// The inverse: [N, H*W, C] -> [N, C, H, W] with channels-last strides (a view).
Tensor tokens_to_image(const Tensor& tokens, int64_t height, int64_t width);
// Frames of videos as image rows [(b f), C, H, W] <-> the 5-D [b, C, f, H, W] view of the same
// memory (no copy; needs the frame rows of a video to be evenly strided, as dense tensors are).
Tensor frames_to_video(const Tensor& x, int64_t frames);
Tensor video_to_frames(const Tensor& video);
// Video latents [B, C, F, H, W] (the fixtures' and diffusers' layout) <-> frame rows
// [(B F), C, H, W] (a copy each way).
Tensor bcfhw_to_frames(const Tensor& video);
Tensor frames_to_bcfhw(const Tensor& frames, int64_t frame_count);
// [B, L, H*D] -> [B, H, L, D] view.
Tensor split_heads(const Tensor& x, int64_t heads);
// [B, H, L, D] (as returned by ops::attention) -> [B, L, H*D].
Tensor merge_heads(const Tensor& x);

}  // namespace ad::nn

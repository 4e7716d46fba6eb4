#include "nn/layers.h"

namespace ad::nn {

Linear Linear::load(const Binder& b, int64_t in, int64_t out, bool bias) {
  Linear l;
  const Shape stored = b.shape("weight");
  const bool conv1x1 = stored.size() == 4 && stored[2] == 1 && stored[3] == 1;
  Tensor w = conv1x1 ? b.get("weight", Shape{out, in, 1, 1}) : b.get("weight", Shape{out, in});
  if (conv1x1) w = w.view(Shape{w.dim(0), w.dim(1)});
  l.weight = w;
  l.out_features = w.dim(0);
  l.in_features = w.dim(1);
  if (bias) l.bias = b.get("bias", Shape{l.out_features});
  return l;
}

Conv2d Conv2d::load(const Binder& b, int64_t in, int64_t out, int stride, int padding) {
  Conv2d c;
  c.weight = b.get("weight", Shape{out, in, -1, -1});
  c.out_channels = c.weight.dim(0);
  c.in_channels = c.weight.dim(1);
  c.bias = b.get_optional("bias", Shape{c.out_channels});
  const int kernel = static_cast<int>(c.weight.dim(2));
  AD_CHECK(c.weight.dim(2) == c.weight.dim(3), "{}: non-square kernel {}", b.map().where(b.full("weight")),
           c.weight.describe());
  c.options.stride = stride;
  const int pad = padding >= 0 ? padding : kernel / 2;
  c.options.pad_top = c.options.pad_bottom = c.options.pad_left = c.options.pad_right = pad;
  return c;
}

GroupNorm GroupNorm::load(const Binder& b, int64_t channels, int groups, float eps) {
  GroupNorm g;
  g.weight = b.get("weight", Shape{channels});
  g.bias = b.get("bias", Shape{channels});
  g.groups = groups;
  g.eps = eps;
  AD_CHECK(channels % groups == 0, "{}: {} channels do not split into {} groups", b.map().where(b.full("weight")),
           channels, groups);
  return g;
}

LayerNorm LayerNorm::load(const Binder& b, int64_t features, float eps, bool bias) {
  LayerNorm l;
  l.weight = b.get("weight", Shape{features});
  if (bias) l.bias = b.get("bias", Shape{features});
  l.eps = eps;
  return l;
}

RmsNorm RmsNorm::load(const Binder& b, int64_t features, float eps) {
  RmsNorm r;
  r.weight = b.get("weight", Shape{features});
  r.eps = eps;
  return r;
}

Tensor GroupNorm::over_frames(const Tensor& x, int64_t frames, bool silu) const {
  if (frames <= 1) return (*this)(x, silu);
  return video_to_frames((*this)(frames_to_video(x, frames), silu));
}

Tensor frames_to_video(const Tensor& x, int64_t frames) {
  AD_CHECK(x.ndim() == 4 && frames > 0 && x.dim(0) % frames == 0, "frames_to_video: {} rows are not a multiple of {} frames",
           x.describe(), frames);
  // Rows are evenly strided, so video b starts frames * stride(0) after video b - 1.
  return Tensor(x.storage(), x.offset(), Shape{x.dim(0) / frames, x.dim(1), frames, x.dim(2), x.dim(3)},
                Strides{x.stride(0) * frames, x.stride(1), x.stride(0), x.stride(2), x.stride(3)}, x.dtype());
}

Tensor video_to_frames(const Tensor& video) {
  AD_CHECK(video.ndim() == 5, "video_to_frames: {} must be [b, C, f, H, W]", video.describe());
  Tensor t = video;
  if (video.dim(0) > 1 && video.stride(0) != video.stride(2) * video.dim(2)) {
    // Frames of one video are not followed by the next video's: copy frames-major.
    Tensor frames_major = Tensor::empty(Shape{video.dim(0), video.dim(2), video.dim(1), video.dim(3), video.dim(4)}, video.dtype());
    frames_major.copy_from(video.permute({0, 2, 1, 3, 4}));
    t = frames_major.permute({0, 2, 1, 3, 4});
  }
  return Tensor(t.storage(), t.offset(), Shape{t.dim(0) * t.dim(2), t.dim(1), t.dim(3), t.dim(4)},
                Strides{t.stride(2), t.stride(1), t.stride(3), t.stride(4)}, t.dtype());
}

Tensor bcfhw_to_frames(const Tensor& video) {
  AD_CHECK(video.ndim() == 5, "video latents {} must be [B, C, F, H, W]", video.describe());
  return video.permute({0, 2, 1, 3, 4}).reshape(Shape{video.dim(0) * video.dim(2), video.dim(1), video.dim(3), video.dim(4)});
}

Tensor frames_to_bcfhw(const Tensor& frames, int64_t frame_count) {
  AD_CHECK(frames.ndim() == 4 && frame_count > 0 && frames.dim(0) % frame_count == 0,
           "frames {} are not a whole number of {}-frame videos", frames.describe(), frame_count);
  const Tensor f = frames.contiguous();
  return f.view(Shape{f.dim(0) / frame_count, frame_count, f.dim(1), f.dim(2), f.dim(3)}).permute({0, 2, 1, 3, 4}).contiguous();
}

Tensor image_to_tokens(const Tensor& x) {
  // [N, C, H, W] -> [N, H, W, C] -> [N, H*W, C]; a view when x is channels-last.
  return x.permute({0, 2, 3, 1}).reshape(Shape{x.dim(0), x.dim(2) * x.dim(3), x.dim(1)});
}

Tensor tokens_to_image(const Tensor& tokens, int64_t height, int64_t width) {
  const Tensor t = tokens.is_contiguous() ? tokens : tokens.contiguous();
  return t.view(Shape{t.dim(0), height, width, t.dim(2)}).permute({0, 3, 1, 2});
}

Tensor split_heads(const Tensor& x, int64_t heads) {
  const int64_t B = x.dim(0), L = x.dim(1), C = x.dim(2);
  AD_CHECK(C % heads == 0, "split_heads: width {} is not divisible by {} heads", C, heads);
  // [B, L, H*D] -> [B, L, H, D] -> [B, H, L, D]
  // (rows may be strided, e.g. q, k, v as slices of one fused projection)
  Tensor t = x.stride(2) == 1 ? x : x.contiguous();
  Tensor v(t.storage(), t.offset(), Shape{B, L, heads, C / heads}, Strides{t.stride(0), t.stride(1), C / heads, 1},
           t.dtype());
  return v.permute({0, 2, 1, 3});
}

Tensor merge_heads(const Tensor& x) {
  // [B, H, L, D] -> [B, L, H, D] -> [B, L, H*D]
  return x.transpose(1, 2).reshape(Shape{x.dim(0), x.dim(2), x.dim(1) * x.dim(3)});
}

}  // namespace ad::nn

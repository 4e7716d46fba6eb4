#include "nn/resnet.h"

namespace ad::nn {

ResnetBlock2D ResnetBlock2D::load(const Binder& b, int64_t in, int64_t out, int64_t temb_channels, int groups, float eps) {
  ResnetBlock2D r;
  if (in < 0) in = b.shape("conv1.weight")[1];
  r.norm1 = GroupNorm::load(b.sub("norm1"), in, groups, eps);
  r.conv1 = Conv2d::load(b.sub("conv1"), in, out);
  out = r.conv1.out_channels;
  r.norm2 = GroupNorm::load(b.sub("norm2"), out, groups, eps);
  r.conv2 = Conv2d::load(b.sub("conv2"), out, out);
  if (temb_channels > 0) {
    r.time_emb_proj = Linear::load(b.sub("time_emb_proj"), temb_channels, out);
    r.has_time = true;
  }
  if (in != out || b.has("conv_shortcut.weight")) {
    r.conv_shortcut = Conv2d::load(b.sub("conv_shortcut"), in, out, 1, 0);
    r.has_shortcut = true;
  }
  return r;
}

Tensor ResnetBlock2D::operator()(const Tensor& x, const Tensor& temb_silu, int64_t norm_frames) const {
  Tensor h = conv1(norm1.over_frames(x, norm_frames, /*silu=*/true));
  if (has_time && temb_silu.defined()) {
    const Tensor t = time_emb_proj(temb_silu);  // [N, C]
    ops::add_(h, t.view(Shape{t.dim(0), t.dim(1), 1, 1}));
  }
  h = norm2.over_frames(h, norm_frames, /*silu=*/true);
  Epilogue e;
  e.residual = has_shortcut ? conv_shortcut(x) : x;
  return conv2(h, e);
}

Downsample2D Downsample2D::load(const Binder& b, int64_t channels, bool asymmetric_pad) {
  Downsample2D d;
  d.conv = Conv2d::load(b.sub("conv"), channels, channels, 2, asymmetric_pad ? 0 : 1);
  if (asymmetric_pad) {
    d.conv.options.pad_bottom = 1;
    d.conv.options.pad_right = 1;
  }
  return d;
}

Upsample2D Upsample2D::load(const Binder& b, int64_t channels) {
  Upsample2D u;
  u.conv = Conv2d::load(b.sub("conv"), channels, channels);
  return u;
}

Tensor Upsample2D::operator()(const Tensor& x, int64_t height, int64_t width) const {
  Tensor up = ops::upsample_nearest(x, 2);
  AD_CHECK(height <= up.dim(2) && width <= up.dim(3), "upsampling {}x{} to {}x{}", x.dim(2), x.dim(3), height, width);
  if (up.dim(2) == height && up.dim(3) == width) return conv(up);
  const Tensor crop = up.slice(2, 0, height).slice(3, 0, width);
  Tensor dense = Tensor::empty_like(crop);
  dense.copy_from(crop);
  return conv(dense);
}

}  // namespace ad::nn

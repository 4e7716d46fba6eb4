#include "models/unet/unet.h"

#include <cmath>

namespace ad::models {

Tensor timestep_embedding(const Tensor& timesteps, int64_t dim) {
  AD_CHECK(timesteps.ndim() == 1, "timesteps must be [N], got {}", timesteps.describe());
  const int64_t half = dim / 2;
  const Tensor t = timesteps.to(DType::F32).contiguous();
  Tensor out = Tensor::zeros(Shape{t.dim(0), dim});
  for (int64_t n = 0; n < t.dim(0); ++n) {
    float* row = out.data<float>() + n * dim;
    for (int64_t i = 0; i < half; ++i) {
      const float exponent = -std::log(10000.0f) * static_cast<float>(i) / static_cast<float>(half);
      const float arg = t.data<float>()[n] * std::exp(exponent);
      row[i] = std::cos(arg);  // flip_sin_to_cos: cosine first
      row[half + i] = std::sin(arg);
    }
  }
  return out;
}

std::string UNetSlot::name() const {
  switch (kind) {
    case Kind::Down: return "down_blocks." + std::to_string(block) + ".motion_modules." + std::to_string(layer);
    case Kind::Mid: return "mid_block.motion_modules." + std::to_string(layer);
    case Kind::Up: return "up_blocks." + std::to_string(block) + ".motion_modules." + std::to_string(layer);
  }
  return {};
}

namespace {

// Rows per video -> rows per frame: [b, ...] -> [b * frames, ...] (frame f of video b at b*frames + f).
Tensor repeat_per_frame(const Tensor& x, int64_t frames) {
  if (frames == 1) return x;
  Shape shape = x.shape();
  shape.insert(1, frames);
  Shape merged = x.shape();
  merged[0] *= frames;
  return x.unsqueeze(1).expand(shape).reshape(merged);
}

}  // namespace

UNet2DConditionModel UNet2DConditionModel::load(const nn::Binder& b, const UNetConfig& c) {
  UNet2DConditionModel m;
  m.config_ = c;
  const int64_t c0 = c.block_channels[0];
  const int groups = c.norm_groups;
  m.time_linear_1_ = nn::Linear::load(b.sub("time_embedding.linear_1"), c0, c.time_embed_dim);
  m.time_linear_2_ = nn::Linear::load(b.sub("time_embedding.linear_2"), c.time_embed_dim, c.time_embed_dim);
  m.conv_in_ = nn::Conv2d::load(b.sub("conv_in"), c.in_channels, c0);
  auto load_layer = [&](const nn::Binder& block, int j, int64_t in, int64_t out, bool attention, int64_t heads) {
    Layer layer;
    layer.resnet = nn::ResnetBlock2D::load(block.sub("resnets", j), in, out, c.time_embed_dim, groups, c.norm_eps);
    if (attention)
      layer.attention = nn::SpatialTransformer::load(block.sub("attentions", j), out, c.cross_attention_dim, heads, groups);
    return layer;
  };
  const size_t levels = c.levels();
  int64_t channels = c0;
  for (size_t i = 0; i < levels; ++i) {
    const nn::Binder block = b.sub("down_blocks", static_cast<int>(i));
    Block down;
    for (int j = 0; j < c.layers_per_block; ++j) {
      down.layers.push_back(load_layer(block, j, channels, c.block_channels[i], c.down_attention[i], c.heads[i]));
      channels = c.block_channels[i];
    }
    if (i + 1 < levels) down.downsample = nn::Downsample2D::load(block.sub("downsamplers", 0), channels, false);
    m.down_.push_back(std::move(down));
  }
  const nn::Binder mid = b.sub("mid_block");
  m.mid_first_ = load_layer(mid, 0, channels, channels, true, c.heads[levels - 1]);
  m.mid_last_ = nn::ResnetBlock2D::load(mid.sub("resnets", 1), channels, channels, c.time_embed_dim, groups, c.norm_eps);
  for (size_t i = 0; i < levels; ++i) {
    const size_t level = levels - 1 - i;
    const nn::Binder block = b.sub("up_blocks", static_cast<int>(i));
    Block up;
    for (int j = 0; j <= c.layers_per_block; ++j)  // input widths (with the skip) come from the weights
      up.layers.push_back(load_layer(block, j, -1, c.block_channels[level], c.up_attention[i], c.heads[level]));
    if (i + 1 < levels) up.upsample = nn::Upsample2D::load(block.sub("upsamplers", 0), c.block_channels[level]);
    m.up_.push_back(std::move(up));
  }
  m.norm_out_ = nn::GroupNorm::load(b.sub("conv_norm_out"), c0, groups, c.norm_eps);
  m.conv_out_ = nn::Conv2d::load(b.sub("conv_out"), c0, c.out_channels);
  return m;
}

Tensor UNet2DConditionModel::run_layer(const Layer& layer, const Tensor& h, const Tensor& temb, const Tensor& context,
                                       const VideoOptions& video, const UNetSlot& slot) const {
  Tensor out = layer.resnet(h, temb, video.resnet_norm_over_frames ? video.frames : 1);
  if (layer.attention) out = (*layer.attention)(out, context);
  if (video.temporal) out = video.temporal->apply(slot, out, video.frames);
  return out;
}

Tensor UNet2DConditionModel::forward(const Tensor& sample, const Tensor& timesteps, const Tensor& context,
                                     const VideoOptions& video, const DebugSink& debug) const {
  const auto emit = [&](std::string_view name, const Tensor& t) {
    if (debug) debug(name, t);
  };
  AD_CHECK(sample.ndim() == 4 && sample.dim(1) == config_.in_channels, "UNet: sample {} must be [N, {}, H, W]",
           sample.describe(), config_.in_channels);
  const int64_t N = sample.dim(0);
  AD_CHECK(video.frames >= 1 && N % video.frames == 0, "UNet: {} rows are not a whole number of {}-frame videos", N,
           video.frames);
  const int64_t videos = N / video.frames;
  AD_CHECK(timesteps.ndim() == 1 && (timesteps.dim(0) == N || timesteps.dim(0) == videos || timesteps.dim(0) == 1),
           "UNet: timesteps {} must be [{}], [{}] or [1]", timesteps.describe(), N, videos);
  AD_CHECK(context.ndim() == 3 && (context.dim(0) == N || context.dim(0) == videos) &&
               context.dim(2) == config_.cross_attention_dim,
           "UNet: context {} must be [{}, S, {}] or [{}, S, {}]", context.describe(), N, config_.cross_attention_dim,
           videos, config_.cross_attention_dim);
  const Tensor frame_context = context.dim(0) == N ? context : repeat_per_frame(context, video.frames);

  const Tensor t_proj = timestep_embedding(timesteps, config_.block_channels[0]);
  emit("time_proj", t_proj);
  Epilogue silu;
  silu.activation = Activation::Silu;
  const Tensor temb = time_linear_2_(time_linear_1_(t_proj, silu));
  emit("time_embedding", temb);
  // One row per frame (or a single row shared by all).
  const Tensor temb_silu = ops::silu(timesteps.dim(0) == videos && videos != N ? repeat_per_frame(temb, video.frames) : temb);

  Tensor h = conv_in_(sample);
  emit("conv_in", h);
  std::vector<Tensor> skips{h};
  for (size_t i = 0; i < down_.size(); ++i) {
    for (size_t j = 0; j < down_[i].layers.size(); ++j) {
      const UNetSlot slot{UNetSlot::Kind::Down, static_cast<int>(i), static_cast<int>(j)};
      h = run_layer(down_[i].layers[j], h, temb_silu, frame_context, video, slot);
      skips.push_back(h);
    }
    if (down_[i].downsample) {
      h = (*down_[i].downsample)(h);
      skips.push_back(h);
    }
    emit("down_blocks." + std::to_string(i), h);
  }
  h = run_layer(mid_first_, h, temb_silu, frame_context, video, UNetSlot{UNetSlot::Kind::Mid, 0, 0});
  h = mid_last_(h, temb_silu, video.resnet_norm_over_frames ? video.frames : 1);
  emit("mid_block", h);
  for (size_t i = 0; i < up_.size(); ++i) {
    for (size_t j = 0; j < up_[i].layers.size(); ++j) {
      h = ops::concat({h, skips.back()}, 1);  // cat([h, skip]) along channels
      skips.pop_back();
      const UNetSlot slot{UNetSlot::Kind::Up, static_cast<int>(i), static_cast<int>(j)};
      h = run_layer(up_[i].layers[j], h, temb_silu, frame_context, video, slot);
    }
    if (up_[i].upsample) h = (*up_[i].upsample)(h, skips.back().dim(2), skips.back().dim(3));
    emit("up_blocks." + std::to_string(i), h);
  }
  return conv_out_(norm_out_.over_frames(h, video.resnet_norm_over_frames ? video.frames : 1, /*silu=*/true));
}

}  // namespace ad::models

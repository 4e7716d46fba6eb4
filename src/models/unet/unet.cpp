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

Tensor UNet2DConditionModel::run_layer(const Layer& layer, const Tensor& h, const Tensor& temb,
                                       const Tensor& context) const {
  Tensor out = layer.resnet(h, temb);
  if (layer.attention) out = (*layer.attention)(out, context);
  return out;
}

Tensor UNet2DConditionModel::forward(const Tensor& sample, const Tensor& timesteps, const Tensor& context,
                                     const DebugSink& debug) const {
  const auto emit = [&](std::string_view name, const Tensor& t) {
    if (debug) debug(name, t);
  };
  AD_CHECK(sample.ndim() == 4 && sample.dim(1) == config_.in_channels, "UNet: sample {} must be [N, {}, H, W]",
           sample.describe(), config_.in_channels);
  const int64_t factor = int64_t{1} << (config_.levels() - 1);
  AD_CHECK(sample.dim(2) % factor == 0 && sample.dim(3) % factor == 0,
           "UNet: latent size {}x{} must be a multiple of {}", sample.dim(2), sample.dim(3), factor);
  AD_CHECK(timesteps.ndim() == 1 && timesteps.dim(0) == sample.dim(0), "UNet: timesteps {} must be [{}]",
           timesteps.describe(), sample.dim(0));
  AD_CHECK(context.ndim() == 3 && context.dim(0) == sample.dim(0) && context.dim(2) == config_.cross_attention_dim,
           "UNet: context {} must be [{}, S, {}]", context.describe(), sample.dim(0), config_.cross_attention_dim);

  const Tensor t_proj = timestep_embedding(timesteps, config_.block_channels[0]);
  emit("time_proj", t_proj);
  Epilogue silu;
  silu.activation = Activation::Silu;
  const Tensor temb = time_linear_2_(time_linear_1_(t_proj, silu));
  emit("time_embedding", temb);
  const Tensor temb_silu = ops::silu(temb);

  Tensor h = conv_in_(sample);
  emit("conv_in", h);
  std::vector<Tensor> skips{h};
  for (size_t i = 0; i < down_.size(); ++i) {
    for (const Layer& layer : down_[i].layers) {
      h = run_layer(layer, h, temb_silu, context);
      skips.push_back(h);
    }
    if (down_[i].downsample) {
      h = (*down_[i].downsample)(h);
      skips.push_back(h);
    }
    emit("down_blocks." + std::to_string(i), h);
  }
  h = mid_last_(run_layer(mid_first_, h, temb_silu, context), temb_silu);
  emit("mid_block", h);
  for (size_t i = 0; i < up_.size(); ++i) {
    for (const Layer& layer : up_[i].layers) {
      h = ops::concat({h, skips.back()}, 1);  // cat([h, skip]) along channels
      skips.pop_back();
      h = run_layer(layer, h, temb_silu, context);
    }
    if (up_[i].upsample) h = (*up_[i].upsample)(h);
    emit("up_blocks." + std::to_string(i), h);
  }
  return conv_out_(norm_out_(h, /*silu=*/true));
}

}  // namespace ad::models

#include "models/vae/vae.h"

namespace ad::models {

VaeAttention VaeAttention::load(const nn::Binder& b, int64_t channels, int groups, float eps) {
  VaeAttention a;
  a.norm = nn::GroupNorm::load(b.sub("group_norm"), channels, groups, eps);
  a.attention = nn::MultiHeadAttention::load_diffusers(b, channels, channels, 1);
  return a;
}

Tensor VaeAttention::operator()(const Tensor& x) const {
  const Tensor tokens = nn::image_to_tokens(norm(x));  // [N, H*W, C]
  return nn::tokens_to_image(attention(tokens, {}, {}, nn::image_to_tokens(x)), x.dim(2), x.dim(3));
}

VaeMidBlock VaeMidBlock::load(const nn::Binder& b, int64_t channels, int groups, float eps) {
  VaeMidBlock m;
  m.resnet_1 = nn::ResnetBlock2D::load(b.sub("resnets", 0), channels, channels, 0, groups, eps);
  m.attention = VaeAttention::load(b.sub("attentions", 0), channels, groups, eps);
  m.resnet_2 = nn::ResnetBlock2D::load(b.sub("resnets", 1), channels, channels, 0, groups, eps);
  return m;
}

VaeEncoder VaeEncoder::load(const nn::Binder& b, int norm_groups) {
  VaeEncoder e;
  VaeConfig& c = e.config_;
  c.norm_groups = norm_groups;
  const int levels = b.count("down_blocks");
  AD_CHECK(levels > 0, "{}: no VAE encoder down blocks under '{}'", b.map().files(), b.prefix());
  c.layers_per_block = b.count("down_blocks.0.resnets");
  for (int i = 0; i < levels; ++i)
    c.block_channels.push_back(b.shape("down_blocks." + std::to_string(i) + ".resnets.0.conv1.weight")[0]);
  e.conv_in_ = nn::Conv2d::load(b.sub("conv_in"), -1, c.block_channels[0]);
  c.image_channels = e.conv_in_.in_channels;
  int64_t channels = c.block_channels[0];
  for (int i = 0; i < levels; ++i) {
    const nn::Binder block = b.sub("down_blocks", i);
    Level level;
    for (int j = 0; j < c.layers_per_block; ++j) {
      level.resnets.push_back(nn::ResnetBlock2D::load(block.sub("resnets", j), channels, c.block_channels[static_cast<size_t>(i)],
                                                      0, c.norm_groups, c.norm_eps));
      channels = c.block_channels[static_cast<size_t>(i)];
    }
    if (i + 1 < levels) level.downsample = nn::Downsample2D::load(block.sub("downsamplers", 0), channels, true);
    e.levels_.push_back(std::move(level));
  }
  e.mid_ = VaeMidBlock::load(b.sub("mid_block"), channels, c.norm_groups, c.norm_eps);
  e.norm_out_ = nn::GroupNorm::load(b.sub("conv_norm_out"), channels, c.norm_groups, c.norm_eps);
  e.conv_out_ = nn::Conv2d::load(b.sub("conv_out"), channels, -1);
  AD_CHECK(e.conv_out_.out_channels % 2 == 0, "{}: encoder conv_out has an odd width {}",
           b.map().where(b.full("conv_out.weight")), e.conv_out_.out_channels);
  c.latent_channels = e.conv_out_.out_channels / 2;
  return e;
}

Tensor VaeEncoder::forward(const Tensor& image, Tensor* mid) const {
  AD_CHECK(image.ndim() == 4 && image.dim(1) == config_.image_channels, "VAE encoder: image {} must be [N, {}, H, W]",
           image.describe(), config_.image_channels);
  Tensor h = conv_in_(image);
  for (const Level& level : levels_) {
    for (const auto& resnet : level.resnets) h = resnet(h);
    if (level.downsample) h = (*level.downsample)(h);
  }
  h = mid_(h);
  if (mid) *mid = h;
  return conv_out_(norm_out_(h, /*silu=*/true));
}

VaeDecoder VaeDecoder::load(const nn::Binder& b, int norm_groups) {
  VaeDecoder d;
  VaeConfig& c = d.config_;
  c.norm_groups = norm_groups;
  const int levels = b.count("up_blocks");
  AD_CHECK(levels > 0, "{}: no VAE decoder up blocks under '{}'", b.map().files(), b.prefix());
  c.layers_per_block = b.count("up_blocks.0.resnets") - 1;
  // block_channels in encoder order: up_blocks.0 is the deepest level.
  c.block_channels.resize(static_cast<size_t>(levels));
  for (int i = 0; i < levels; ++i)
    c.block_channels[static_cast<size_t>(levels - 1 - i)] = b.shape("up_blocks." + std::to_string(i) + ".resnets.0.conv1.weight")[0];
  const int64_t deepest = c.block_channels.back();
  d.conv_in_ = nn::Conv2d::load(b.sub("conv_in"), -1, deepest);
  c.latent_channels = d.conv_in_.in_channels;
  d.mid_ = VaeMidBlock::load(b.sub("mid_block"), deepest, c.norm_groups, c.norm_eps);
  int64_t channels = deepest;
  for (int i = 0; i < levels; ++i) {
    const nn::Binder block = b.sub("up_blocks", i);
    const int64_t out = c.block_channels[static_cast<size_t>(levels - 1 - i)];
    Level level;
    for (int j = 0; j <= c.layers_per_block; ++j) {
      level.resnets.push_back(nn::ResnetBlock2D::load(block.sub("resnets", j), channels, out, 0, c.norm_groups, c.norm_eps));
      channels = out;
    }
    if (i + 1 < levels) level.upsample = nn::Upsample2D::load(block.sub("upsamplers", 0), channels);
    d.levels_.push_back(std::move(level));
  }
  d.norm_out_ = nn::GroupNorm::load(b.sub("conv_norm_out"), channels, c.norm_groups, c.norm_eps);
  d.conv_out_ = nn::Conv2d::load(b.sub("conv_out"), channels, -1);
  c.image_channels = d.conv_out_.out_channels;
  return d;
}

Tensor VaeDecoder::forward(const Tensor& latents, Tensor* mid) const {
  AD_CHECK(latents.ndim() == 4 && latents.dim(1) == config_.latent_channels, "VAE decoder: latents {} must be [N, {}, h, w]",
           latents.describe(), config_.latent_channels);
  Tensor h = mid_(conv_in_(latents));
  if (mid) *mid = h;
  for (const Level& level : levels_) {
    for (const auto& resnet : level.resnets) h = resnet(h);
    if (level.upsample) h = (*level.upsample)(h);
  }
  return conv_out_(norm_out_(h, /*silu=*/true));
}

Tensor LatentPosterior::sample(const Tensor& noise) const {
  return ops::add(mean, ops::mul(ops::exp(ops::affine(logvar, 0.5f, 0.0f)), noise));
}

AutoencoderKL AutoencoderKL::load(const nn::Binder& b, int norm_groups) {
  AutoencoderKL vae;
  if (b.has_prefix("encoder.")) vae.encoder_ = VaeEncoder::load(b.sub("encoder"), norm_groups);
  if (b.has_prefix("decoder.")) vae.decoder_ = VaeDecoder::load(b.sub("decoder"), norm_groups);
  AD_CHECK(vae.encoder_ || vae.decoder_, "{}: no VAE encoder or decoder tensors found", b.map().files());
  const int64_t z = vae.latent_channels();
  if (b.has("quant_conv.weight")) vae.quant_conv_ = nn::Conv2d::load(b.sub("quant_conv"), 2 * z, 2 * z);
  if (b.has("post_quant_conv.weight")) vae.post_quant_conv_ = nn::Conv2d::load(b.sub("post_quant_conv"), z, z);
  return vae;
}

int64_t AutoencoderKL::latent_channels() const {
  return decoder_ ? decoder_->config().latent_channels : encoder_->config().latent_channels;
}

Tensor AutoencoderKL::encode_moments(const Tensor& image, Tensor* mid) const {
  AD_CHECK(encoder_.has_value(), "this VAE has no encoder weights");
  Tensor moments = encoder_->forward(image, mid);
  if (quant_conv_) moments = (*quant_conv_)(moments);
  return moments;
}

LatentPosterior AutoencoderKL::posterior(const Tensor& moments) {
  AD_CHECK(moments.ndim() == 4 && moments.dim(1) % 2 == 0, "VAE moments {} must be [N, 2 * latent, h, w]",
           moments.describe());
  const int64_t z = moments.dim(1) / 2;
  LatentPosterior p;
  p.mean = moments.slice(1, 0, z).contiguous();
  p.logvar = ops::clamp(moments.slice(1, z, 2 * z).contiguous(), -30.0f, 20.0f);
  return p;
}

LatentPosterior AutoencoderKL::encode(const Tensor& image) const { return posterior(encode_moments(image)); }

Tensor AutoencoderKL::decode(const Tensor& latents, Tensor* mid) const {
  AD_CHECK(decoder_.has_value(), "this VAE has no decoder weights");
  const Tensor z = post_quant_conv_ ? (*post_quant_conv_)(latents) : latents;
  return decoder_->forward(z, mid);
}

}  // namespace ad::models

// MMDiT model: configuration, embedders, final layer, forward; see mmdit.h.
#include "models/mmdit/mmdit.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

#include "backend/ops.h"
#include "models/unet/unet.h"

namespace ad::models {

bool MmditConfig::dual_attention(int block) const {
  return std::find(dual_attention_blocks.begin(), dual_attention_blocks.end(), block) != dual_attention_blocks.end();
}

MmditConfig MmditConfig::sd3_medium() {
  MmditConfig c;  // the defaults: 24 blocks of 1536, 24 heads, no qk norm, 192x192 positions
  return c;
}

MmditConfig MmditConfig::sd35_medium() {
  MmditConfig c;
  c.pos_embed_max_size = 384;
  c.qk_norm = true;
  for (int i = 0; i <= 12; ++i) c.dual_attention_blocks.push_back(i);
  return c;
}

MmditConfig MmditConfig::sd35_large() {
  MmditConfig c;
  c.depth = 38;
  c.hidden = 64 * 38;
  c.heads = 38;
  c.mlp_hidden = 4 * c.hidden;
  c.qk_norm = true;
  return c;
}

MmditConfig MmditConfig::from_weights(const nn::Binder& b, int64_t heads) {
  MmditConfig c;
  const Shape proj = b.shape("pos_embed.proj.weight");  // [hidden, in, p, p]
  AD_CHECK(proj.size() == 4 && proj[2] == proj[3], "{}: patch embedding {} must be [hidden, in, p, p]",
           b.map().where(b.full("pos_embed.proj.weight")), proj.to_string());
  c.hidden = proj[0];
  c.in_channels = proj[1];
  c.patch = proj[2];
  const Shape pos = b.shape("pos_embed.pos_embed");  // [1, P*P, hidden]
  c.pos_embed_max_size = std::llround(std::sqrt(static_cast<double>(pos.size() == 3 ? pos[1] : 0)));
  AD_CHECK(pos.size() == 3 && pos[0] == 1 && pos[2] == c.hidden && c.pos_embed_max_size * c.pos_embed_max_size == pos[1],
           "{}: position table {} must be [1, P*P, {}]", b.map().where(b.full("pos_embed.pos_embed")), pos.to_string(),
           c.hidden);
  c.pooled_dim = b.shape("time_text_embed.text_embedder.linear_1.weight")[1];
  c.frequency_dim = b.shape("time_text_embed.timestep_embedder.linear_1.weight")[1];
  c.context_dim = b.shape("context_embedder.weight")[1];
  c.depth = b.count("transformer_blocks");
  AD_CHECK(c.depth > 0, "{}: no MMDiT joint blocks under '{}'", b.map().files(), b.prefix());
  c.mlp_hidden = b.shape("transformer_blocks.0.ff.net.0.proj.weight")[0];
  c.qk_norm = b.has("transformer_blocks.0.attn.norm_added_k.weight");
  for (int i = 0; i < c.depth; ++i)
    if (b.has_prefix("transformer_blocks." + std::to_string(i) + ".attn2.")) c.dual_attention_blocks.push_back(i);
  const int64_t out = b.shape("proj_out.weight")[0];
  AD_CHECK(out % (c.patch * c.patch) == 0, "{}: final projection width {} is not a multiple of {}x{} patches",
           b.map().where(b.full("proj_out.weight")), out, c.patch, c.patch);
  c.out_channels = out / (c.patch * c.patch);
  c.heads = heads > 0 ? heads : c.hidden / 64;
  AD_CHECK(c.heads > 0 && c.hidden % c.heads == 0, "{}: width {} does not split into {} heads", b.map().files(), c.hidden,
           c.heads);
  return c;
}

std::string MmditConfig::to_string() const {
  return fmt::format("MMDiT: {} blocks of {} ({} heads of {}), patch {}, {} -> {} channels, positions {}x{}, pooled {}, "
                     "context {}, mlp {}, qk norm {}, dual-attention blocks {}",
                     depth, hidden, heads, head_dim(), patch, in_channels, out_channels, pos_embed_max_size,
                     pos_embed_max_size, pooled_dim, context_dim, mlp_hidden, qk_norm ? "rms" : "none",
                     dual_attention_blocks.size());
}

MmditModel MmditModel::load(const nn::Binder& b, const MmditConfig& config) {
  MmditModel m;
  m.config_ = config;
  const MmditConfig& c = m.config_;
  m.patch_proj_ = nn::Conv2d::load(b.sub("pos_embed.proj"), c.in_channels, c.hidden, static_cast<int>(c.patch), 0);
  m.pos_embed_ = b.get("pos_embed.pos_embed", Shape{1, c.pos_embed_max_size * c.pos_embed_max_size, c.hidden});
  m.time_linear_1_ = nn::Linear::load(b.sub("time_text_embed.timestep_embedder.linear_1"), c.frequency_dim, c.hidden);
  m.time_linear_2_ = nn::Linear::load(b.sub("time_text_embed.timestep_embedder.linear_2"), c.hidden, c.hidden);
  m.pooled_linear_1_ = nn::Linear::load(b.sub("time_text_embed.text_embedder.linear_1"), c.pooled_dim, c.hidden);
  m.pooled_linear_2_ = nn::Linear::load(b.sub("time_text_embed.text_embedder.linear_2"), c.hidden, c.hidden);
  m.context_embedder_ = nn::Linear::load(b.sub("context_embedder"), c.context_dim, c.hidden);
  for (int i = 0; i < c.depth; ++i)
    m.blocks_.push_back(MmditBlock::load(b.sub("transformer_blocks", i), c.hidden, c.heads, c.qk_norm, c.dual_attention(i),
                                         i == c.depth - 1, c.eps));
  m.norm_out_ = nn::Linear::load(b.sub("norm_out.linear"), c.hidden, 2 * c.hidden);
  m.proj_out_ = nn::Linear::load(b.sub("proj_out"), c.hidden, c.patch * c.patch * c.out_channels);
  return m;
}

Tensor MmditModel::cropped_pos_embed(int64_t h, int64_t w) const {
  const int64_t size = config_.pos_embed_max_size;
  AD_CHECK(h <= size && w <= size, "MMDiT: a latent of {}x{} patches exceeds the {}x{} position table (at most {}x{} pixels)",
           h, w, size, size, size * config_.patch * 8, size * config_.patch * 8);
  const int64_t top = (size - h) / 2, left = (size - w) / 2;
  const Tensor window = pos_embed_.view(Shape{size, size, config_.hidden}).slice(0, top, top + h).slice(1, left, left + w);
  Tensor crop = Tensor::empty(Shape{h, w, config_.hidden});  // F32 whatever the stored dtype
  crop.copy_from(window);
  return crop.view(Shape{1, h * w, config_.hidden});
}

Tensor MmditModel::patch_embed(const Tensor& x) const {
  const int64_t p = config_.patch;
  AD_CHECK(x.ndim() == 4 && x.dim(1) == config_.in_channels && x.dim(2) % p == 0 && x.dim(3) % p == 0,
           "MMDiT: latent {} must be [B, {}, H, W] with H and W multiples of {}", x.describe(), config_.in_channels, p);
  const Tensor patches = patch_proj_(x);  // [B, C, H/p, W/p], channels-last
  // [B, T, C]: patches in row-major order (a view of the channels-last result)
  return ops::add(nn::image_to_tokens(patches), cropped_pos_embed(patches.dim(2), patches.dim(3)));
}

Tensor MmditModel::conditioning(const Tensor& timesteps, const Tensor& pooled) const {
  AD_CHECK(timesteps.ndim() == 1 && pooled.ndim() == 2 && pooled.dim(0) == timesteps.dim(0) &&
               pooled.dim(1) == config_.pooled_dim,
           "MMDiT: timesteps {} and pooled vector {} must be [B] and [B, {}]", timesteps.describe(), pooled.describe(),
           config_.pooled_dim);
  Epilogue silu;
  silu.activation = Activation::Silu;
  const Tensor frequencies = timestep_embedding(timesteps, config_.frequency_dim);  // [B, 256], cos first
  Epilogue plus_time;
  plus_time.residual = time_linear_2_(time_linear_1_(frequencies, silu));
  return pooled_linear_2_(pooled_linear_1_(pooled, silu), plus_time);  // [B, C]
}

Tensor MmditModel::forward(const Tensor& x, const Tensor& timesteps, const Tensor& pooled, const Tensor& context,
                           std::span<const int> skip_layers, const DebugSink& debug) const {
  auto emit = [&](std::string_view name, const Tensor& value) {
    if (debug) debug(name, value);
  };
  AD_CHECK(context.ndim() == 3 && context.dim(0) == x.dim(0) && context.dim(2) == config_.context_dim,
           "MMDiT: context {} must be [{}, L, {}]", context.describe(), x.dim(0), config_.context_dim);
  AD_CHECK(timesteps.ndim() == 1 && timesteps.dim(0) == x.dim(0), "MMDiT: timesteps {} must be [{}]",
           timesteps.describe(), x.dim(0));
  for (int layer : skip_layers)
    AD_CHECK(layer >= 0 && layer < config_.depth, "MMDiT: skip layer {} is not one of the {} blocks", layer, config_.depth);
  const int64_t p = config_.patch;
  Tensor h = patch_embed(x);  // [B, T, C]
  emit("patch_embed", h);
  const Tensor c = conditioning(timesteps, pooled);  // [B, C]
  emit("c_vec", c);
  const Tensor c_silu = ops::silu(c);
  Tensor ctx = context_embedder_(context);  // [B, L, C]
  emit("context_embedded", ctx);
  for (size_t i = 0; i < blocks_.size(); ++i) {
    if (std::find(skip_layers.begin(), skip_layers.end(), static_cast<int>(i)) != skip_layers.end()) continue;
    AD_CHECK(ctx.defined(), "MMDiT: block {} follows a block whose context stream is pre-only", i);
    blocks_[i].forward(ctx, h, c_silu);
    if (ctx.defined()) emit("block" + std::to_string(i) + "_context", ctx);
    emit("block" + std::to_string(i) + "_x", h);
  }
  // Final layer: norm_out gives (scale, shift) in diffusers' order.
  const Tensor mods = norm_out_(c_silu);  // [B, 2C]
  const int64_t width = config_.hidden;
  const Tensor scale = mods.slice(1, 0, width).unsqueeze(1);
  const Tensor shift = mods.slice(1, width, 2 * width).unsqueeze(1);
  const Tensor out = proj_out_(mmdit_modulate(ops::layer_norm(h, {}, {}, config_.eps), shift, scale));  // [B, T, p*p*C]
  emit("final_layer", out);
  return mmdit_unpatchify(out, x.dim(2) / p, x.dim(3) / p, p, config_.out_channels);
}

Tensor mmdit_unpatchify(const Tensor& tokens, int64_t h, int64_t w, int64_t patch, int64_t channels) {
  AD_CHECK(tokens.ndim() == 3 && tokens.dim(1) == h * w && tokens.dim(2) == patch * patch * channels,
           "unpatchify: tokens {} must be [B, {}, {}]", tokens.describe(), h * w, patch * patch * channels);
  const int64_t batch = tokens.dim(0);
  // [B, h, w, p, q, C] -> [B, C, h, p, w, q] -> [B, C, h*p, w*q]
  return tokens.contiguous()
      .view(Shape{batch, h, w, patch, patch, channels})
      .permute({0, 5, 1, 3, 2, 4})
      .contiguous()
      .view(Shape{batch, channels, h * patch, w * patch});
}

}  // namespace ad::models

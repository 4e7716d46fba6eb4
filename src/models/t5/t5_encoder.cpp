#include "models/t5/t5_encoder.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <string>

namespace ad::models {

T5Config T5Config::xxl() {
  T5Config c;
  c.vocab_size = 32128;
  c.d_model = 4096;
  c.inner = 4096;
  c.d_ff = 10240;
  c.layers = 24;
  c.heads = 64;
  return c;
}

T5Config T5Config::from_weights(const nn::Binder& b, int64_t heads) {
  T5Config c;
  const std::string bias_name = "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight";
  const Shape shared = b.shape("shared.weight");
  const Shape q = b.shape("encoder.block.0.layer.0.SelfAttention.q.weight");
  const Shape wi = b.shape("encoder.block.0.layer.1.DenseReluDense.wi_0.weight");
  const Shape bias = b.shape(bias_name);
  AD_CHECK(shared.size() == 2, "{} must be [vocab, d_model], got {}", b.map().where(b.full("shared.weight")),
           shared.to_string());
  AD_CHECK(q.size() == 2 && wi.size() == 2, "{}: T5 projections must be 2-D", b.map().files());
  AD_CHECK(bias.size() == 2, "{} must be [buckets, heads], got {}", b.map().where(b.full(bias_name)), bias.to_string());
  c.vocab_size = shared[0];
  c.d_model = shared[1];
  c.inner = q[0];
  c.d_ff = wi[0];
  c.layers = b.count("encoder.block");
  c.num_buckets = bias[0];
  c.heads = bias[1];
  AD_CHECK(heads <= 0 || heads == c.heads, "{} has {} heads, the configuration says {}",
           b.map().where(b.full(bias_name)), c.heads, heads);
  AD_CHECK(c.heads > 0 && c.inner % c.heads == 0, "{}: width {} does not split into {} heads",
           b.map().where(b.full("encoder.block.0.layer.0.SelfAttention.q.weight")), c.inner, c.heads);
  AD_CHECK(c.num_buckets >= 4 && c.num_buckets % 4 == 0, "{}: {} relative-position buckets (expected a multiple of 4)",
           b.map().where(b.full(bias_name)), c.num_buckets);
  return c;
}

int64_t t5_relative_position_bucket(int64_t relative, int64_t num_buckets, int64_t max_distance) {
  const int64_t half = num_buckets / 2;
  const int64_t base = relative > 0 ? half : 0;
  const int64_t distance = std::llabs(relative);
  const int64_t max_exact = half / 2;
  if (distance < max_exact) return base + distance;
  // The value is an exact integer where distance / max_exact is a power of
  // (max_distance / max_exact)^(1 / (half - max_exact)); double evaluation may land a hair
  // below it there, so nudge by far less than any non-integral value's distance to an integer.
  const double scaled = std::log(static_cast<double>(distance) / static_cast<double>(max_exact)) /
                        std::log(static_cast<double>(max_distance) / static_cast<double>(max_exact)) *
                        static_cast<double>(half - max_exact);
  const int64_t large = max_exact + static_cast<int64_t>(scaled + 1e-9);
  return base + std::min(large, half - 1);
}

T5Block T5Block::load(const nn::Binder& b, const T5Config& c) {
  T5Block block;
  const nn::Binder attention = b.sub("layer.0");
  block.attention_norm = nn::RmsNorm::load(attention.sub("layer_norm"), c.d_model, c.eps);
  block.q = nn::Linear::load(attention.sub("SelfAttention.q"), c.d_model, c.inner, false);
  block.k = nn::Linear::load(attention.sub("SelfAttention.k"), c.d_model, c.inner, false);
  block.v = nn::Linear::load(attention.sub("SelfAttention.v"), c.d_model, c.inner, false);
  block.o = nn::Linear::load(attention.sub("SelfAttention.o"), c.inner, c.d_model, false);
  const nn::Binder ff = b.sub("layer.1");
  block.ff_norm = nn::RmsNorm::load(ff.sub("layer_norm"), c.d_model, c.eps);
  block.wi_0 = nn::Linear::load(ff.sub("DenseReluDense.wi_0"), c.d_model, c.d_ff, false);
  block.wi_1 = nn::Linear::load(ff.sub("DenseReluDense.wi_1"), c.d_model, c.d_ff, false);
  block.wo = nn::Linear::load(ff.sub("DenseReluDense.wo"), c.d_ff, c.d_model, false);
  return block;
}

Tensor T5Block::forward(const Tensor& x, const Tensor& position_bias, int64_t heads) const {
  const Tensor h = attention_norm(x);                     // [B, L, D]
  const Tensor query = nn::split_heads(q(h), heads);      // [B, H, L, Dh]
  const Tensor key = nn::split_heads(k(h), heads);        // [B, H, L, Dh]
  const Tensor value = nn::split_heads(v(h), heads);      // [B, H, L, Dh]
  AttentionOptions unscaled;
  unscaled.scale = 1.0f;
  const Tensor attended = nn::merge_heads(ops::attention(query, key, value, unscaled, position_bias));  // [B, L, inner]
  Epilogue residual;
  residual.residual = x;
  const Tensor y = o(attended, residual);  // [B, L, D]

  const Tensor g = ff_norm(y);
  Epilogue gelu;
  gelu.activation = Activation::GeluTanh;
  const Tensor gated = ops::mul(wi_0(g, gelu), wi_1(g));  // [B, L, d_ff]
  Epilogue residual_ff;
  residual_ff.residual = y;
  return wo(gated, residual_ff);
}

T5Encoder T5Encoder::load(const nn::Binder& b, const T5Config& config) {
  T5Encoder m;
  m.config_ = config;
  m.shared_ = b.get("shared.weight", Shape{config.vocab_size, config.d_model});
  const nn::Binder encoder = b.sub("encoder");
  m.relative_attention_bias_ =
      encoder.get("block.0.layer.0.SelfAttention.relative_attention_bias.weight", Shape{config.num_buckets, config.heads})
          .to(DType::F32)
          .contiguous();
  for (int64_t i = 0; i < config.layers; ++i)
    m.blocks_.push_back(T5Block::load(encoder.sub("block", static_cast<int>(i)), config));
  m.final_layer_norm_ = nn::RmsNorm::load(encoder.sub("final_layer_norm"), config.d_model, config.eps);
  return m;
}

Tensor T5Encoder::position_bias(int64_t query_length, int64_t key_length) const {
  const int64_t H = config_.heads;
  // One bucket per relative position r = j - i in [-(Lq - 1), Lk - 1].
  std::vector<int64_t> bucket(static_cast<size_t>(query_length + key_length - 1));
  for (int64_t r = -(query_length - 1); r < key_length; ++r)
    bucket[static_cast<size_t>(r + query_length - 1)] =
        t5_relative_position_bucket(r, config_.num_buckets, config_.max_distance);
  Tensor bias = Tensor::empty(Shape{1, H, query_length, key_length});
  const float* table = relative_attention_bias_.data<float>();  // [buckets, H]
  float* out = bias.data<float>();
  for (int64_t h = 0; h < H; ++h)
    for (int64_t i = 0; i < query_length; ++i) {
      float* row = out + (h * query_length + i) * key_length;
      for (int64_t j = 0; j < key_length; ++j) row[j] = table[bucket[static_cast<size_t>(j - i + query_length - 1)] * H + h];
    }
  return bias;
}

Tensor T5Encoder::forward(const Tensor& ids, const DebugSink& debug) const {
  AD_CHECK(ids.ndim() == 2 && ids.dtype() == DType::I64 && ids.dim(1) >= 1, "T5: token ids must be I64 [B, L], got {}",
           ids.describe());
  const int64_t L = ids.dim(1);
  Tensor x = ops::embedding(ids, shared_);  // [B, L, D]
  const Tensor bias = position_bias(L, L);  // [1, H, L, L]
  if (debug) debug("position_bias", bias);
  for (size_t i = 0; i < blocks_.size(); ++i) {
    x = blocks_[i].forward(x, bias, config_.heads);
    if (debug) debug("block." + std::to_string(i), x);
  }
  x = final_layer_norm_(x);
  if (debug) debug("last_hidden", x);
  return x;
}

}  // namespace ad::models

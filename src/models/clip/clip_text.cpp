#include "models/clip/clip_text.h"

namespace ad::models {

ClipTextConfig ClipTextConfig::from_weights(const nn::Binder& b, int64_t heads, Activation activation) {
  ClipTextConfig c;
  const Shape token = b.shape("text_model.embeddings.token_embedding.weight");
  const Shape position = b.shape("text_model.embeddings.position_embedding.weight");
  AD_CHECK(token.size() == 2 && position.size() == 2, "{}: CLIP embeddings must be 2-D",
           b.map().where(b.full("text_model.embeddings.token_embedding.weight")));
  c.vocab_size = token[0];
  c.hidden = token[1];
  c.max_positions = position[0];
  c.layers = 0;
  while (b.has("text_model.encoder.layers." + std::to_string(c.layers) + ".layer_norm1.weight")) ++c.layers;
  AD_CHECK(c.layers > 0, "{}: no CLIP encoder layers found", b.map().files());
  c.intermediate = b.shape("text_model.encoder.layers.0.mlp.fc1.weight")[0];
  c.heads = heads > 0 ? heads : std::max<int64_t>(1, c.hidden / 64);
  c.activation = activation;
  if (b.has("text_projection.weight")) c.projection_dim = b.shape("text_projection.weight")[0];
  return c;
}

ClipTextModel ClipTextModel::load(const nn::Binder& b, const ClipTextConfig& config) {
  ClipTextModel m;
  m.config_ = config;
  const nn::Binder text = b.sub("text_model");
  m.token_embedding_ = text.get("embeddings.token_embedding.weight", Shape{config.vocab_size, config.hidden});
  m.position_embedding_ = text.get("embeddings.position_embedding.weight", Shape{config.max_positions, config.hidden});
  for (int64_t i = 0; i < config.layers; ++i) {
    const nn::Binder l = text.sub("encoder.layers", static_cast<int>(i));
    Layer layer;
    layer.norm1 = nn::LayerNorm::load(l.sub("layer_norm1"), config.hidden, config.eps);
    layer.norm2 = nn::LayerNorm::load(l.sub("layer_norm2"), config.hidden, config.eps);
    layer.attention = nn::MultiHeadAttention::load_clip(l.sub("self_attn"), config.hidden, config.heads);
    layer.fc1 = nn::Linear::load(l.sub("mlp.fc1"), config.hidden, config.intermediate);
    layer.fc2 = nn::Linear::load(l.sub("mlp.fc2"), config.intermediate, config.hidden);
    m.layers_.push_back(layer);
  }
  m.final_layer_norm_ = nn::LayerNorm::load(text.sub("final_layer_norm"), config.hidden, config.eps);
  if (config.projection_dim > 0)
    m.text_projection_ = nn::Linear::load(b.sub("text_projection"), config.hidden, config.projection_dim, false);
  return m;
}

ClipTextOutput ClipTextModel::forward(const Tensor& ids) const {
  AD_CHECK(ids.ndim() == 2 && ids.dtype() == DType::I64, "CLIP: token ids must be I64 [B, L], got {}", ids.describe());
  const int64_t B = ids.dim(0), L = ids.dim(1);
  AD_CHECK(L >= 1 && L <= config_.max_positions, "CLIP: {} tokens, the model takes 1 to {}", L, config_.max_positions);
  // [B, L, D]
  Tensor x = ops::add(ops::embedding(ids, token_embedding_), position_embedding_.slice(0, 0, L).to(DType::F32));
  AttentionOptions causal;
  causal.causal = true;
  ClipTextOutput out;
  if (layers_.size() == 1) out.penultimate = x;  // hidden_states[-2] is then the embeddings
  for (size_t i = 0; i < layers_.size(); ++i) {
    const Layer& layer = layers_[i];
    x = layer.attention(layer.norm1(x), {}, causal, x);
    Epilogue act;
    act.activation = config_.activation;
    Epilogue residual;
    residual.residual = x;
    x = layer.fc2(layer.fc1(layer.norm2(x), act), residual);
    if (i + 2 == layers_.size()) out.penultimate = x;
  }
  out.last_hidden = final_layer_norm_(x);
  // Pooled: the state at the first occurrence of the largest id in each row (EOS).
  const Tensor ids_c = ids.contiguous();
  out.pooled = Tensor::empty(Shape{B, config_.hidden});
  for (int64_t b = 0; b < B; ++b) {
    const int64_t* row = ids_c.data<int64_t>() + b * L;
    int64_t eos = 0;
    for (int64_t j = 1; j < L; ++j)
      if (row[j] > row[eos]) eos = j;
    out.pooled.select(0, b).copy_from(out.last_hidden.select(0, b).select(0, eos));
  }
  if (config_.projection_dim > 0) out.pooled_projected = text_projection_(out.pooled);
  return out;
}

}  // namespace ad::models

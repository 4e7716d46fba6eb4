#include "models/clip/clip_synthetic.h"

#include "models/common/synthetic_weights.h"

namespace ad::models {

std::shared_ptr<io::MemoryTensorFile> synthetic_clip_text_weights(const ClipShape& s, DType dtype, uint64_t seed) {
  auto file = std::make_shared<io::MemoryTensorFile>("synthetic-clip-text");
  SyntheticWeights m(file.get(), dtype, seed);
  m.random("text_model.embeddings.token_embedding.weight", {s.vocab, s.width}, 0.02f);
  m.random("text_model.embeddings.position_embedding.weight", {s.positions, s.width}, 0.01f);
  for (int64_t i = 0; i < s.layers; ++i) {
    const std::string layer = "text_model.encoder.layers." + std::to_string(i);
    for (const char* p : {".self_attn.q_proj", ".self_attn.k_proj", ".self_attn.v_proj", ".self_attn.out_proj"})
      m.linear(layer + p, s.width, s.width);
    m.norm(layer + ".layer_norm1", s.width);
    m.norm(layer + ".layer_norm2", s.width);
    m.linear(layer + ".mlp.fc1", s.width, s.ff);
    m.linear(layer + ".mlp.fc2", s.ff, s.width);
  }
  m.norm("text_model.final_layer_norm", s.width);
  if (s.text_projection) m.linear("text_projection", s.width, s.width, false);
  return file;
}

}  // namespace ad::models

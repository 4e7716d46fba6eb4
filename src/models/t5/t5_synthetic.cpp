#include "models/t5/t5_synthetic.h"

#include <cmath>

#include "models/common/synthetic_weights.h"

namespace ad::models {

std::shared_ptr<io::MemoryTensorFile> synthetic_t5_weights(const T5Config& c, DType dtype, uint64_t seed) {
  auto file = std::make_shared<io::MemoryTensorFile>("synthetic-t5");
  SyntheticWeights m(file.get(), dtype, seed);
  m.random("shared.weight", {c.vocab_size, c.d_model}, 1.0f);
  for (int64_t i = 0; i < c.layers; ++i) {
    const std::string block = "encoder.block." + std::to_string(i);
    const std::string attn = block + ".layer.0.SelfAttention";
    for (const char* p : {".q", ".k", ".v"}) m.linear(attn + p, c.d_model, c.inner, false);
    m.linear(attn + ".o", c.inner, c.d_model, false);
    if (i == 0) m.random(attn + ".relative_attention_bias.weight", {c.num_buckets, c.heads}, 1.0f);
    m.constant(block + ".layer.0.layer_norm.weight", {c.d_model}, 1.0f);
    m.linear(block + ".layer.1.DenseReluDense.wi_0", c.d_model, c.d_ff, false);
    m.linear(block + ".layer.1.DenseReluDense.wi_1", c.d_model, c.d_ff, false);
    m.linear(block + ".layer.1.DenseReluDense.wo", c.d_ff, c.d_model, false);
    m.constant(block + ".layer.1.layer_norm.weight", {c.d_model}, 1.0f);
  }
  m.constant("encoder.final_layer_norm.weight", {c.d_model}, 1.0f);
  return file;
}

}  // namespace ad::models

#include "models/mmdit/mmdit_synthetic.h"

#include <cmath>
#include <string>
#include <vector>

#include "models/common/synthetic_weights.h"

namespace ad::models {

namespace {

// One stream of a joint block (mmditx DismantledBlock) under `name`.
void stream(SyntheticWeights& m, const MmditConfig& c, const std::string& name, bool pre_only, bool dual) {
  const int64_t C = c.hidden;
  const auto attention = [&](const std::string& attn, bool has_proj) {
    m.linear(attn + ".qkv", C, 3 * C);
    if (c.qk_norm) {
      m.constant(attn + ".ln_q.weight", {c.head_dim()}, 1.0f);
      m.constant(attn + ".ln_k.weight", {c.head_dim()}, 1.0f);
    }
    if (has_proj) m.linear(attn + ".proj", C, C);
  };
  attention(name + ".attn", !pre_only);
  if (dual) attention(name + ".attn2", true);
  m.linear(name + ".adaLN_modulation.1", C, (pre_only ? 2 : (dual ? 9 : 6)) * C);
  if (!pre_only) {
    m.linear(name + ".mlp.fc1", C, c.mlp_hidden);
    m.linear(name + ".mlp.fc2", c.mlp_hidden, C);
  }
}

void make(SyntheticWeights& m, const MmditConfig& c) {
  const std::string p = "model.diffusion_model.";
  const int64_t C = c.hidden;
  m.random(p + "pos_embed", {1, c.pos_embed_max_size * c.pos_embed_max_size, C}, 0.5f);
  m.random(p + "x_embedder.proj.weight", {C, c.in_channels, c.patch, c.patch},
           1.0f / std::sqrt(static_cast<float>(c.in_channels * c.patch * c.patch)));
  m.constant(p + "x_embedder.proj.bias", {C}, 0.0f);
  m.linear(p + "t_embedder.mlp.0", c.frequency_dim, C);
  m.linear(p + "t_embedder.mlp.2", C, C);
  m.linear(p + "y_embedder.mlp.0", c.pooled_dim, C);
  m.linear(p + "y_embedder.mlp.2", C, C);
  m.linear(p + "context_embedder", c.context_dim, C);
  for (int i = 0; i < c.depth; ++i) {
    const std::string block = p + "joint_blocks." + std::to_string(i);
    stream(m, c, block + ".context_block", i == c.depth - 1, false);
    stream(m, c, block + ".x_block", false, c.dual_attention(i));
  }
  m.linear(p + "final_layer.adaLN_modulation.1", C, 2 * C);
  m.linear(p + "final_layer.linear", C, c.patch * c.patch * c.out_channels);
}

}  // namespace

std::shared_ptr<io::MemoryTensorFile> synthetic_mmdit_weights(const MmditConfig& config, DType dtype, uint64_t seed) {
  AD_CHECK(dtype == DType::F32 || dtype == DType::F16 || dtype == DType::BF16,
           "synthetic MMDiT weights: dtype {} is not F32, F16 or BF16", dtype_name(dtype));
  auto file = std::make_shared<io::MemoryTensorFile>("synthetic-mmdit");
  SyntheticWeights m(file.get(), dtype, seed);
  make(m, config);
  return file;
}

int64_t mmdit_parameter_count(const MmditConfig& config) {
  SyntheticWeights m(nullptr, DType::F32, 0);
  make(m, config);
  return m.parameters();
}

}  // namespace ad::models

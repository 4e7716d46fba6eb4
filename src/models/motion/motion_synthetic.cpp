#include "models/motion/motion_synthetic.h"

#include "models/common/synthetic_weights.h"

namespace ad::models {

namespace {

void temporal_transformer(SyntheticWeights& m, const std::string& name, int64_t c, int64_t max_len) {
  const std::string t = name + ".temporal_transformer";
  m.norm(t + ".norm", c);
  m.linear(t + ".proj_in", c, c);
  const std::string block = t + ".transformer_blocks.0";
  for (int a = 0; a < 2; ++a) {
    const std::string attn = block + ".attention_blocks." + std::to_string(a);
    m.random(attn + ".pos_encoder.pe", {1, max_len, c}, 0.5f);
    m.linear(attn + ".to_q", c, c, false);
    m.linear(attn + ".to_k", c, c, false);
    m.linear(attn + ".to_v", c, c, false);
    m.linear(attn + ".to_out.0", c, c);
    m.norm(block + ".norms." + std::to_string(a), c);
  }
  m.linear(block + ".ff.net.0.proj", c, 8 * c);
  m.linear(block + ".ff.net.2", 4 * c, c);
  m.norm(block + ".ff_norm", c);
  m.linear(t + ".proj_out", c, c);
}

}  // namespace

std::shared_ptr<io::MemoryTensorFile> synthetic_motion_weights(const UNetConfig& unet, bool mid_block, int64_t max_len,
                                                               DType dtype, uint64_t seed) {
  auto file = std::make_shared<io::MemoryTensorFile>("synthetic-motion-module");
  SyntheticWeights m(file.get(), dtype, seed);
  const size_t levels = unet.levels();
  for (size_t i = 0; i < levels; ++i)
    for (int j = 0; j < unet.layers_per_block; ++j)
      temporal_transformer(m, "down_blocks." + std::to_string(i) + ".motion_modules." + std::to_string(j),
                           unet.block_channels[i], max_len);
  if (mid_block) temporal_transformer(m, "mid_block.motion_modules.0", unet.block_channels.back(), max_len);
  for (size_t i = 0; i < levels; ++i)
    for (int j = 0; j <= unet.layers_per_block; ++j)
      temporal_transformer(m, "up_blocks." + std::to_string(i) + ".motion_modules." + std::to_string(j),
                           unet.block_channels[levels - 1 - i], max_len);
  return file;
}

}  // namespace ad::models

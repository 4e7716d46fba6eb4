#include "models/vae/vae_synthetic.h"

#include "models/common/synthetic_weights.h"

namespace ad::models {

namespace {

void resnet(SyntheticWeights& m, const std::string& name, int64_t in, int64_t out) {
  m.norm(name + ".norm1", in);
  m.conv(name + ".conv1", in, out, 3);
  m.norm(name + ".norm2", out);
  m.conv(name + ".conv2", out, out, 3);
  if (in != out) m.conv(name + ".conv_shortcut", in, out, 1);
}

void mid_block(SyntheticWeights& m, const std::string& name, int64_t ch) {
  resnet(m, name + ".resnets.0", ch, ch);
  const std::string attn = name + ".attentions.0";
  m.norm(attn + ".group_norm", ch);
  for (const char* p : {".to_q", ".to_k", ".to_v", ".to_out.0"}) m.linear(attn + p, ch, ch);
  resnet(m, name + ".resnets.1", ch, ch);
}

}  // namespace

std::shared_ptr<io::MemoryTensorFile> synthetic_vae_weights(const VaeShape& s, DType dtype, uint64_t seed) {
  auto file = std::make_shared<io::MemoryTensorFile>("synthetic-vae");
  SyntheticWeights m(file.get(), dtype, seed);
  const size_t levels = s.block_channels.size();
  const int64_t latent = s.latent_channels;
  if (s.encoder) {
    int64_t ch = s.block_channels[0];
    m.conv("encoder.conv_in", 3, ch, 3);
    for (size_t i = 0; i < levels; ++i) {
      const std::string block = "encoder.down_blocks." + std::to_string(i);
      for (int j = 0; j < s.layers_per_block; ++j) {
        resnet(m, block + ".resnets." + std::to_string(j), ch, s.block_channels[i]);
        ch = s.block_channels[i];
      }
      if (i + 1 < levels) m.conv(block + ".downsamplers.0.conv", ch, ch, 3);
    }
    mid_block(m, "encoder.mid_block", ch);
    m.norm("encoder.conv_norm_out", ch);
    m.conv("encoder.conv_out", ch, 2 * latent, 3);
    if (s.quant_convs) m.conv("quant_conv", 2 * latent, 2 * latent, 1);
  }
  int64_t ch = s.block_channels.back();
  if (s.quant_convs) m.conv("post_quant_conv", latent, latent, 1);
  m.conv("decoder.conv_in", latent, ch, 3);
  mid_block(m, "decoder.mid_block", ch);
  for (size_t i = 0; i < levels; ++i) {
    const std::string block = "decoder.up_blocks." + std::to_string(i);
    const int64_t out = s.block_channels[levels - 1 - i];
    for (int j = 0; j <= s.layers_per_block; ++j) {
      resnet(m, block + ".resnets." + std::to_string(j), ch, out);
      ch = out;
    }
    if (i + 1 < levels) m.conv(block + ".upsamplers.0.conv", ch, ch, 3);
  }
  m.norm("decoder.conv_norm_out", ch);
  m.conv("decoder.conv_out", ch, 3, 3);
  return file;
}

}  // namespace ad::models

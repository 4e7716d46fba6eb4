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

}  // namespace

std::shared_ptr<io::MemoryTensorFile> synthetic_vae_decoder_weights(const std::vector<int64_t>& block_channels,
                                                                    int64_t latent_channels, int layers_per_block,
                                                                    DType dtype, uint64_t seed) {
  auto file = std::make_shared<io::MemoryTensorFile>("synthetic-vae-decoder");
  SyntheticWeights m(file.get(), dtype, seed);
  const size_t levels = block_channels.size();
  int64_t ch = block_channels.back();
  m.conv("post_quant_conv", latent_channels, latent_channels, 1);
  m.conv("decoder.conv_in", latent_channels, ch, 3);
  resnet(m, "decoder.mid_block.resnets.0", ch, ch);
  const std::string attn = "decoder.mid_block.attentions.0";
  m.norm(attn + ".group_norm", ch);
  for (const char* p : {".to_q", ".to_k", ".to_v", ".to_out.0"}) m.linear(attn + p, ch, ch);
  resnet(m, "decoder.mid_block.resnets.1", ch, ch);
  for (size_t i = 0; i < levels; ++i) {
    const std::string block = "decoder.up_blocks." + std::to_string(i);
    const int64_t out = block_channels[levels - 1 - i];
    for (int j = 0; j <= layers_per_block; ++j) {
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

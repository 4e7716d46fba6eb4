#include "models/unet/unet_synthetic.h"

#include "models/common/synthetic_weights.h"

namespace ad::models {

namespace {

void resnet(SyntheticWeights& m, const std::string& name, int64_t in, int64_t out, int64_t temb) {
  m.norm(name + ".norm1", in);
  m.conv(name + ".conv1", in, out, 3);
  m.linear(name + ".time_emb_proj", temb, out);
  m.norm(name + ".norm2", out);
  m.conv(name + ".conv2", out, out, 3);
  if (in != out) m.conv(name + ".conv_shortcut", in, out, 1);
}

void transformer(SyntheticWeights& m, const std::string& name, int64_t c, int64_t context) {
  m.norm(name + ".norm", c);
  m.conv(name + ".proj_in", c, c, 1);
  const std::string t = name + ".transformer_blocks.0";
  for (const char* n : {".norm1", ".norm2", ".norm3"}) m.norm(t + n, c);
  for (const char* a : {".attn1", ".attn2"}) {
    const int64_t kv = std::string(a) == ".attn1" ? c : context;
    m.linear(t + a + ".to_q", c, c, false);
    m.linear(t + a + ".to_k", kv, c, false);
    m.linear(t + a + ".to_v", kv, c, false);
    m.linear(t + a + ".to_out.0", c, c);
  }
  m.linear(t + ".ff.net.0.proj", c, 8 * c);
  m.linear(t + ".ff.net.2", 4 * c, c);
  m.conv(name + ".proj_out", c, c, 1);
}

}  // namespace

UNetConfig sd15_unet_config() {
  UNetConfig c;
  c.block_channels = {320, 640, 1280, 1280};
  c.down_attention = {true, true, true, false};
  c.up_attention = {false, true, true, true};
  c.heads = {8, 8, 8, 8};
  return c;
}

std::shared_ptr<io::MemoryTensorFile> synthetic_unet_weights(const UNetConfig& c, DType dtype, uint64_t seed) {
  auto file = std::make_shared<io::MemoryTensorFile>("synthetic-unet");
  SyntheticWeights m(file.get(), dtype, seed);
  const int64_t c0 = c.block_channels[0];
  const size_t levels = c.levels();
  m.linear("time_embedding.linear_1", c0, c.time_embed_dim);
  m.linear("time_embedding.linear_2", c.time_embed_dim, c.time_embed_dim);
  m.conv("conv_in", c.in_channels, c0, 3);
  std::vector<int64_t> skip_channels{c0};
  int64_t ch = c0;
  for (size_t i = 0; i < levels; ++i) {
    const std::string block = "down_blocks." + std::to_string(i);
    for (int j = 0; j < c.layers_per_block; ++j) {
      resnet(m, block + ".resnets." + std::to_string(j), ch, c.block_channels[i], c.time_embed_dim);
      ch = c.block_channels[i];
      if (c.down_attention[i]) transformer(m, block + ".attentions." + std::to_string(j), ch, c.cross_attention_dim);
      skip_channels.push_back(ch);
    }
    if (i + 1 < levels) {
      m.conv(block + ".downsamplers.0.conv", ch, ch, 3);
      skip_channels.push_back(ch);
    }
  }
  resnet(m, "mid_block.resnets.0", ch, ch, c.time_embed_dim);
  transformer(m, "mid_block.attentions.0", ch, c.cross_attention_dim);
  resnet(m, "mid_block.resnets.1", ch, ch, c.time_embed_dim);
  for (size_t i = 0; i < levels; ++i) {
    const size_t level = levels - 1 - i;
    const std::string block = "up_blocks." + std::to_string(i);
    for (int j = 0; j <= c.layers_per_block; ++j) {
      const int64_t skip = skip_channels.back();
      skip_channels.pop_back();
      resnet(m, block + ".resnets." + std::to_string(j), ch + skip, c.block_channels[level], c.time_embed_dim);
      ch = c.block_channels[level];
      if (c.up_attention[i]) transformer(m, block + ".attentions." + std::to_string(j), ch, c.cross_attention_dim);
    }
    if (i + 1 < levels) m.conv(block + ".upsamplers.0.conv", ch, ch, 3);
  }
  m.norm("conv_norm_out", c0);
  m.conv("conv_out", c0, c.out_channels, 3);
  return file;
}

}  // namespace ad::models

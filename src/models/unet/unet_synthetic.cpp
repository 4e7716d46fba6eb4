#include "models/unet/unet_synthetic.h"

#include <cmath>
#include <random>

namespace ad::models {

namespace {

class Maker {
 public:
  Maker(io::MemoryTensorFile& file, DType dtype, uint64_t seed) : file_(file), dtype_(dtype), rng_(seed) {}

  void weight(const std::string& name, const Shape& shape) {
    int64_t fan_in = 1;
    for (int i = 1; i < shape.size(); ++i) fan_in *= shape[i];
    std::normal_distribution<float> dist(0.0f, 1.0f / std::sqrt(static_cast<float>(fan_in)));
    Tensor t = Tensor::empty(shape);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng_);
    add(name, t);
  }
  void constant(const std::string& name, const Shape& shape, float value) { add(name, Tensor::full(shape, value)); }
  void linear(const std::string& name, int64_t in, int64_t out, bool bias = true) {
    weight(name + ".weight", {out, in});
    if (bias) constant(name + ".bias", {out}, 0.0f);
  }
  void conv(const std::string& name, int64_t in, int64_t out, int64_t k) {
    weight(name + ".weight", {out, in, k, k});
    constant(name + ".bias", {out}, 0.0f);
  }
  void norm(const std::string& name, int64_t channels) {
    constant(name + ".weight", {channels}, 1.0f);
    constant(name + ".bias", {channels}, 0.0f);
  }
  void resnet(const std::string& name, int64_t in, int64_t out, int64_t temb) {
    norm(name + ".norm1", in);
    conv(name + ".conv1", in, out, 3);
    linear(name + ".time_emb_proj", temb, out);
    norm(name + ".norm2", out);
    conv(name + ".conv2", out, out, 3);
    if (in != out) conv(name + ".conv_shortcut", in, out, 1);
  }
  void transformer(const std::string& name, int64_t c, int64_t context) {
    norm(name + ".norm", c);
    conv(name + ".proj_in", c, c, 1);
    const std::string t = name + ".transformer_blocks.0";
    for (const char* n : {".norm1", ".norm2", ".norm3"}) norm(t + n, c);
    for (const char* a : {".attn1", ".attn2"}) {
      const int64_t kv = std::string(a) == ".attn1" ? c : context;
      linear(t + a + ".to_q", c, c, false);
      linear(t + a + ".to_k", kv, c, false);
      linear(t + a + ".to_v", kv, c, false);
      linear(t + a + ".to_out.0", c, c);
    }
    linear(t + ".ff.net.0.proj", c, 8 * c);
    linear(t + ".ff.net.2", 4 * c, c);
    conv(name + ".proj_out", c, c, 1);
  }

 private:
  void add(const std::string& name, const Tensor& t) { file_.add(name, t.to(dtype_)); }
  io::MemoryTensorFile& file_;
  DType dtype_;
  std::mt19937_64 rng_;
};

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
  Maker m(*file, dtype, seed);
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
      m.resnet(block + ".resnets." + std::to_string(j), ch, c.block_channels[i], c.time_embed_dim);
      ch = c.block_channels[i];
      if (c.down_attention[i]) m.transformer(block + ".attentions." + std::to_string(j), ch, c.cross_attention_dim);
      skip_channels.push_back(ch);
    }
    if (i + 1 < levels) {
      m.conv(block + ".downsamplers.0.conv", ch, ch, 3);
      skip_channels.push_back(ch);
    }
  }
  m.resnet("mid_block.resnets.0", ch, ch, c.time_embed_dim);
  m.transformer("mid_block.attentions.0", ch, c.cross_attention_dim);
  m.resnet("mid_block.resnets.1", ch, ch, c.time_embed_dim);
  for (size_t i = 0; i < levels; ++i) {
    const size_t level = levels - 1 - i;
    const std::string block = "up_blocks." + std::to_string(i);
    for (int j = 0; j <= c.layers_per_block; ++j) {
      const int64_t skip = skip_channels.back();
      skip_channels.pop_back();
      m.resnet(block + ".resnets." + std::to_string(j), ch + skip, c.block_channels[level], c.time_embed_dim);
      ch = c.block_channels[level];
      if (c.up_attention[i]) m.transformer(block + ".attentions." + std::to_string(j), ch, c.cross_attention_dim);
    }
    if (i + 1 < levels) m.conv(block + ".upsamplers.0.conv", ch, ch, 3);
  }
  m.norm("conv_norm_out", c0);
  m.conv("conv_out", c0, c.out_channels, 3);
  return file;
}

}  // namespace ad::models

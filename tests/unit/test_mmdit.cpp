// MMDiT pieces: the unpatchify order, the key maps (on key lists and on the fixture's two
// layouts of the same weights), the configuration read from the weights.
#include <gtest/gtest.h>

#include "io/tensor_file.h"
#include "models/mmdit/mmdit.h"
#include "models/mmdit/mmdit_keys.h"
#include "support/test_util.h"

namespace ad {
namespace {

using models::MmditKeyTarget;
using nn::WeightTransform;

std::string fixture(const std::string& rel) { return test::data_dir() + "/fixtures/sd3/" + rel; }

TEST(MmditUnpatchify, FeaturesArePatchRowPatchColumnChannel) {
  const int64_t batch = 2, h = 3, w = 2, p = 2, channels = 3;
  Tensor tokens = Tensor::empty(Shape{batch, h * w, p * p * channels});
  float* data = tokens.data<float>();
  for (int64_t i = 0; i < tokens.numel(); ++i) data[i] = static_cast<float>(i);
  const Tensor image = models::mmdit_unpatchify(tokens, h, w, p, channels);
  ASSERT_EQ(image.shape(), (Shape{batch, channels, h * p, w * p}));
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t y = 0; y < h * p; ++y)
        for (int64_t x = 0; x < w * p; ++x) {
          const int64_t token = (y / p) * w + x / p;               // row-major patches
          const int64_t feature = ((y % p) * p + x % p) * channels + c;  // (p, q, channel), channel fastest
          const double want = static_cast<double>((n * h * w + token) * p * p * channels + feature);
          EXPECT_EQ(image.item(std::vector<int64_t>{n, c, y, x}), want) << n << " " << c << " " << y << " " << x;
        }
}

TEST(MmditKeys, OriginalNames) {
  const auto qkv = models::mmdit_original_targets("joint_blocks.4.x_block.attn.qkv.weight", 23);
  ASSERT_EQ(qkv.size(), 3u);
  const char* want[] = {"transformer_blocks.4.attn.to_q.weight", "transformer_blocks.4.attn.to_k.weight",
                        "transformer_blocks.4.attn.to_v.weight"};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(qkv[static_cast<size_t>(i)].canonical, want[i]);
    EXPECT_EQ(qkv[static_cast<size_t>(i)].transform, WeightTransform::Chunk);
    EXPECT_EQ(qkv[static_cast<size_t>(i)].part, i);
    EXPECT_EQ(qkv[static_cast<size_t>(i)].parts, 3);
  }
  const auto context_qkv = models::mmdit_original_targets("joint_blocks.0.context_block.attn.qkv.bias", 23);
  ASSERT_EQ(context_qkv.size(), 3u);
  EXPECT_EQ(context_qkv[2].canonical, "transformer_blocks.0.attn.add_v_proj.bias");

  auto one = [](const std::string& name, int last_block) {
    const auto t = models::mmdit_original_targets(name, last_block);
    EXPECT_EQ(t.size(), 1u) << name;
    return t.empty() ? MmditKeyTarget{} : t[0];
  };
  EXPECT_EQ(one("pos_embed", 2).canonical, "pos_embed.pos_embed");
  EXPECT_EQ(one("x_embedder.proj.weight", 2).canonical, "pos_embed.proj.weight");
  EXPECT_EQ(one("t_embedder.mlp.2.bias", 2).canonical, "time_text_embed.timestep_embedder.linear_2.bias");
  EXPECT_EQ(one("y_embedder.mlp.0.weight", 2).canonical, "time_text_embed.text_embedder.linear_1.weight");
  EXPECT_EQ(one("final_layer.linear.weight", 2).canonical, "proj_out.weight");
  EXPECT_EQ(one("final_layer.adaLN_modulation.1.weight", 2).canonical, "norm_out.linear.weight");
  EXPECT_EQ(one("final_layer.adaLN_modulation.1.weight", 2).transform, WeightTransform::SwapHalves);
  EXPECT_EQ(one("joint_blocks.1.x_block.attn.ln_k.weight", 2).canonical, "transformer_blocks.1.attn.norm_k.weight");
  EXPECT_EQ(one("joint_blocks.1.context_block.attn.ln_q.weight", 2).canonical,
            "transformer_blocks.1.attn.norm_added_q.weight");
  EXPECT_EQ(one("joint_blocks.1.context_block.attn.proj.bias", 2).canonical, "transformer_blocks.1.attn.to_add_out.bias");
  EXPECT_EQ(one("joint_blocks.0.x_block.attn2.proj.weight", 2).canonical, "transformer_blocks.0.attn2.to_out.0.weight");
  EXPECT_EQ(one("joint_blocks.1.x_block.mlp.fc2.weight", 2).canonical, "transformer_blocks.1.ff.net.2.weight");
  EXPECT_EQ(one("joint_blocks.1.context_block.mlp.fc1.bias", 2).canonical,
            "transformer_blocks.1.ff_context.net.0.proj.bias");
  // The context adaLN swaps its halves in the last (pre-only) block only.
  EXPECT_EQ(one("joint_blocks.1.context_block.adaLN_modulation.1.bias", 2).transform, WeightTransform::None);
  EXPECT_EQ(one("joint_blocks.2.context_block.adaLN_modulation.1.bias", 2).transform, WeightTransform::SwapHalves);
  EXPECT_EQ(one("joint_blocks.2.x_block.adaLN_modulation.1.bias", 2).transform, WeightTransform::None);
  EXPECT_EQ(one("joint_blocks.2.context_block.adaLN_modulation.1.bias", 2).canonical,
            "transformer_blocks.2.norm1_context.linear.bias");

  EXPECT_TRUE(models::mmdit_original_targets("joint_blocks.1.x_block.attn.qkv.scale", 2).empty());
  EXPECT_TRUE(models::mmdit_original_targets("joint_blocks.1.y_block.attn.qkv.weight", 2).empty());
  EXPECT_TRUE(models::mmdit_original_targets("register", 2).empty());
}

TEST(MmditKeys, DiffusersNames) {
  EXPECT_TRUE(models::mmdit_diffusers_name("transformer_blocks.12.attn.norm_added_k.weight"));
  EXPECT_TRUE(models::mmdit_diffusers_name("transformer_blocks.0.attn2.to_out.0.bias"));
  EXPECT_TRUE(models::mmdit_diffusers_name("time_text_embed.text_embedder.linear_2.weight"));
  EXPECT_TRUE(models::mmdit_diffusers_name("pos_embed.pos_embed"));
  EXPECT_FALSE(models::mmdit_diffusers_name("transformer_blocks.0.attn.to_out.1.weight"));
  EXPECT_FALSE(models::mmdit_diffusers_name("joint_blocks.0.x_block.attn.qkv.weight"));
}

// Both layouts of the same tiny weights give the same canonical tensors (the README's table).
TEST(MmditKeys, BothFixtureLayoutsAgree) {
  for (const char* model : {"mmdit_sd3_medium", "mmdit_sd35_medium", "mmdit_sd35_large"}) {
    const auto original = io::open_tensor_file(fixture(std::string(model) + "/weights.safetensors"));
    const auto diffusers = io::open_tensor_file(fixture(std::string(model) + "/weights_diffusers.safetensors"));
    EXPECT_EQ(models::detect_mmdit_layout(*original).layout, models::MmditLayout::Original);
    EXPECT_EQ(models::detect_mmdit_layout(*original).prefix, "model.diffusion_model.");
    EXPECT_EQ(models::detect_mmdit_layout(*diffusers).layout, models::MmditLayout::Diffusers);
    const nn::WeightMap a = models::mmdit_weights(original);
    const nn::WeightMap b = models::mmdit_weights(diffusers);
    ASSERT_EQ(a.names(), b.names()) << model;
    for (const std::string& name : a.names()) {
      const test::Diff d = test::compare(a.load(name), b.load(name));
      EXPECT_EQ(d.max_abs, 0.0) << model << ": " << name;
    }
  }
}

TEST(MmditConfig, FromTheWeights) {
  const nn::WeightMap map = models::mmdit_weights(io::open_tensor_file(fixture("mmdit_sd35_medium/weights.safetensors")));
  const nn::Binder b(map);
  const models::MmditConfig c = models::MmditConfig::from_weights(b, 2);
  EXPECT_EQ(c.hidden, 32);
  EXPECT_EQ(c.heads, 2);
  EXPECT_EQ(c.head_dim(), 16);
  EXPECT_EQ(c.depth, 3);
  EXPECT_EQ(c.patch, 2);
  EXPECT_EQ(c.pos_embed_max_size, 8);
  EXPECT_EQ(c.pooled_dim, 72);
  EXPECT_EQ(c.context_dim, 80);
  EXPECT_EQ(c.mlp_hidden, 128);
  EXPECT_EQ(c.out_channels, 16);
  EXPECT_TRUE(c.qk_norm);
  EXPECT_EQ(c.dual_attention_blocks, (std::vector<int>{0, 1}));
  // Without a head count: hidden / 64 (the released models' rule), which a 32-wide model fails.
  EXPECT_THROW(models::MmditConfig::from_weights(b, 0), Error);
  const auto model = models::MmditModel::load(b, c);
  map.check_all_used("MMDiT");
  EXPECT_EQ(model.config().depth, 3);
}

TEST(MmditConfig, Presets) {
  EXPECT_EQ(models::MmditConfig::sd3_medium().heads, 24);
  EXPECT_EQ(models::MmditConfig::sd35_medium().dual_attention_blocks.size(), 13u);
  EXPECT_EQ(models::MmditConfig::sd35_large().hidden, 2432);
  EXPECT_EQ(models::MmditConfig::sd35_large().head_dim(), 64);
}

}  // namespace
}  // namespace ad

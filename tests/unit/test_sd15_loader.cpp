#include <gtest/gtest.h>

#include "pipeline/sd15_loader.h"
#include "support/test_util.h"

namespace ad {
namespace {

std::string tiny_model() { return test::data_dir() + "/tiny_sd15/tiny_sd15.safetensors"; }
std::string fixture(const std::string& rel) { return test::data_dir() + "/fixtures/" + rel; }

TEST(Sd15Loader, LoadsTinySingleFileCheckpoint) {
  const auto model = pipeline::load_sd15(tiny_model());
  EXPECT_EQ(model->unet.config().block_channels.size(), 4u);
  EXPECT_EQ(model->unet.config().cross_attention_dim, 32);
  EXPECT_EQ(model->text_encoder.config().vocab_size, 49408);
  EXPECT_EQ(model->text_encoder.config().heads, 4);
  EXPECT_EQ(model->vae.latent_channels(), 4);
}

void expect_error(const std::string& path, const std::string& fragment) {
  try {
    pipeline::load_sd15(path);
    FAIL() << "expected an error for " << path;
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(Sd15Loader, RefusesPartsAndOtherFamilies) {
  expect_error(fixture("animatediff/unet_sd15/weights.safetensors"), "no VAE");
  expect_error(fixture("animatediff/vae_sd15/weights.safetensors"), "no UNet");
  expect_error(fixture("animatediff/motion_module_v2/motion_module.safetensors"), "SD1.5-family");
  expect_error(fixture("sd3/mmdit_sd3_medium/weights.safetensors"), "SD1.5-family");
  expect_error(test::data_dir() + "/no/such/file.safetensors", "no such file");
}

}  // namespace
}  // namespace ad

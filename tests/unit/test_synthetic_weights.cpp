// The random weights of real shape that the benchmarks use must be exactly what the loaders
// expect (every tensor bound, none left over), or the benchmarks would time another model.
// Checked here at small widths; the benchmarks make the real ones.
#include <gtest/gtest.h>

#include "backend/ops.h"
#include "models/clip/clip_keys.h"
#include "models/clip/clip_synthetic.h"
#include "models/clip/clip_text.h"
#include "models/motion/motion_keys.h"
#include "models/motion/motion_module.h"
#include "models/motion/motion_synthetic.h"
#include "models/sd3_text/sd3_text_encoders.h"
#include "models/t5/t5_synthetic.h"
#include "models/unet/unet.h"
#include "models/unet/unet_keys.h"
#include "models/unet/unet_synthetic.h"
#include "models/vae/vae.h"
#include "models/vae/vae_keys.h"
#include "models/vae/vae_synthetic.h"

namespace ad::models {
namespace {

UNetConfig small_unet() {
  UNetConfig c;
  c.block_channels = {32, 64};
  c.down_attention = {true, false};
  c.up_attention = {false, true};
  c.heads = {2, 2};
  c.time_embed_dim = 128;
  c.cross_attention_dim = 48;
  return c;
}

TEST(SyntheticWeights, UnetAndMotionModuleBindAndRun) {
  const UNetConfig config = small_unet();
  const nn::WeightMap unet_map = unet_weights(synthetic_unet_weights(config, DType::F16, 1));
  const nn::Binder b(unet_map);
  const auto unet = UNet2DConditionModel::load(b, UNetConfig::from_weights(b, {2, 2}));
  unet_map.check_all_used("synthetic UNet");
  const nn::WeightMap motion_map = motion_module_weights(synthetic_motion_weights(config, true, 32, DType::F16, 2));
  const auto motion = MotionModuleSet::load(motion_map, MotionModuleOptions{}, 2);
  motion_map.check_all_used("synthetic motion module");
  EXPECT_EQ(motion.version(), MotionModuleVersion::V2);
  motion.check_fits(unet.config());
  VideoOptions video;
  video.frames = 3;
  video.temporal = &motion;
  const Tensor eps = unet.forward(Tensor::full({3, 4, 8, 8}, 0.1f), Tensor::full({1}, 500.0f),
                                  Tensor::full({1, 5, 48}, 0.01f), video);
  EXPECT_EQ(eps.shape(), (Shape{3, 4, 8, 8}));
}

TEST(SyntheticWeights, VaeBindsAndDecodes) {
  for (const bool sd3 : {false, true}) {
    VaeShape shape;
    shape.block_channels = {32, 64};
    shape.latent_channels = sd3 ? 16 : 4;
    shape.quant_convs = !sd3;
    shape.encoder = sd3;
    const nn::WeightMap map = vae_weights(synthetic_vae_weights(shape, DType::F16, 3), "");
    const auto vae = AutoencoderKL::load(nn::Binder(map));
    map.check_all_used("synthetic VAE");
    EXPECT_EQ(vae.has_encoder(), sd3);
    EXPECT_EQ(vae.latent_channels(), shape.latent_channels);
    EXPECT_EQ(vae.decode(Tensor::full({1, shape.latent_channels, 4, 4}, 0.1f)).shape(), (Shape{1, 3, 8, 8}));
  }
}

TEST(SyntheticWeights, TextEncodersBind) {
  ClipShape clip{2, 64, 128, 100, 77, true};
  const nn::WeightMap clip_map = clip_text_weights(synthetic_clip_text_weights(clip, DType::F16, 4), "");
  const nn::Binder cb(clip_map);
  const auto clip_config = ClipTextConfig::from_weights(cb, 4, Activation::Gelu);
  ClipTextModel::load(cb, clip_config);
  clip_map.check_all_used("synthetic CLIP");
  EXPECT_EQ(clip_config.hidden, 64);

  T5Config t5;
  t5.vocab_size = 100;
  t5.d_model = 64;
  t5.inner = 64;
  t5.d_ff = 96;
  t5.layers = 2;
  t5.heads = 4;
  Sd3TextEncoderSource source;
  source.file = synthetic_t5_weights(t5, DType::F16, 5);
  source.heads = 4;
  const T5Encoder encoder = load_t5(source);
  EXPECT_EQ(encoder.config().d_ff, 96);
  Tensor ids = Tensor::zeros({1, 3}, DType::I64);
  EXPECT_EQ(encoder.forward(ids).shape(), (Shape{1, 3, 64}));
}

}  // namespace
}  // namespace ad::models

// Flow-matching schedule, samplers and guidance (sampling/flow_*): values from the sd3 fixtures
// (sampler_flow_euler, img2img_sd3) and closed-form cases.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "backend/ops.h"
#include "sampling/flow_guidance.h"
#include "sampling/flow_sampler.h"
#include "sampling/flow_schedule.h"
#include "support/test_util.h"

namespace ad {
namespace {

using sampling::FlowSchedule;

void expect_sigmas(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 2e-6) << "sigma " << i;
}

TEST(FlowSchedule, MatchesSd3InferShift3) {
  // sampler_flow_euler out.sigmas_shift3_steps4
  expect_sigmas(FlowSchedule{3.0}.sigmas(4), {1.0f, 0.8576923608779907f, 0.602150559425354f, 0.008928571827709675f, 0.0f});
  expect_sigmas(FlowSchedule{3.0}.sigmas(1), {1.0f, 0.0f});
}

TEST(FlowSchedule, MatchesSd3InferShift1) {
  expect_sigmas(FlowSchedule{1.0}.sigmas(4), {1.0f, 0.667f, 0.334f, 0.001f, 0.0f});
}

TEST(FlowSchedule, ShiftsTheLowEndTwice) {
  const FlowSchedule schedule{3.0};
  EXPECT_NEAR(schedule.sigma_min(), 0.002994012f, 1e-8);
  // The last non-zero sigma is sigma(1000 * sigma(1)), not sigma(1).
  const std::vector<float> sigmas = schedule.sigmas(28);
  EXPECT_EQ(sigmas.size(), 29u);
  EXPECT_EQ(sigmas.back(), 0.0f);
  EXPECT_NEAR(sigmas[27], schedule.sigma(1000.0f * schedule.sigma_min()), 1e-9);
  EXPECT_NEAR(sigmas[27], 0.008928571827709675f, 2e-8);
  for (size_t i = 1; i < sigmas.size(); ++i) EXPECT_LT(sigmas[i], sigmas[i - 1]);
}

TEST(FlowSchedule, LinspaceCountsBothHalvesFromTheirEnds) {
  const std::vector<float> v = sampling::linspace_f32(1000.0f, 1.0f, 4);
  ASSERT_EQ(v.size(), 4u);
  EXPECT_EQ(v[0], 1000.0f);
  EXPECT_EQ(v[3], 1.0f);
  EXPECT_EQ(v[1], 667.0f);
  EXPECT_EQ(v[2], 334.0f);
}

TEST(FlowSchedule, Img2ImgStartIndexAsSd3Infer) {
  std::ifstream in(test::data_dir() + "/fixtures/sd3/img2img_sd3/case.json");
  ASSERT_TRUE(in.good());
  const nlohmann::json j = nlohmann::json::parse(in);
  const auto& table = j.at("hyperparameters").at("start_index_table");
  ASSERT_FALSE(table.empty());
  for (const auto& row : table) {
    const int steps = row.at("steps").get<int>();
    const double denoise = row.at("denoise").get<double>();
    EXPECT_EQ(sampling::flow_img2img_start(steps, denoise), row.at("sd3_infer_start").get<int>())
        << steps << " steps at " << denoise;
  }
  EXPECT_EQ(sampling::flow_img2img_start(40, 0.8), 7);  // 40 * 0.19999999999999996 truncated
  EXPECT_EQ(sampling::flow_img2img_start(10, 1.0), 0);
}

TEST(FlowSchedule, NoiseScalingAndDenoised) {
  const Tensor noise = Tensor::full(Shape{2}, 2.0f), latent = Tensor::full(Shape{2}, -1.0f);
  EXPECT_FLOAT_EQ(sampling::flow_noise_scaling(0.25f, noise, latent).item(std::vector<int64_t>{0}), 0.25 * 2 - 0.75);
  EXPECT_FLOAT_EQ(sampling::flow_noise_scaling(1.0f, noise, latent).item(std::vector<int64_t>{1}), 2.0);
  EXPECT_FLOAT_EQ(sampling::flow_denoised(noise, latent, 0.5f).item(std::vector<int64_t>{0}), 2.5);
}

float value(const Tensor& t) { return static_cast<float>(t.item(std::vector<int64_t>{0})); }

TEST(FlowSampler, EulerMovesLinearlyTowardsTheDenoisedValue) {
  auto sampler = sampling::make_flow_euler({1.0f, 0.5f, 0.0f});
  EXPECT_EQ(sampler->steps(), 2);
  const Tensor denoised = Tensor::full(Shape{1}, 0.0f);
  const Tensor x1 = sampler->step(Tensor::full(Shape{1}, 2.0f), denoised, 0);
  EXPECT_FLOAT_EQ(value(x1), 1.0f);  // 2 + (2 - 0) / 1 * (0.5 - 1)
  EXPECT_FLOAT_EQ(value(sampler->step(x1, Tensor::full(Shape{1}, 0.25f), 1)), 0.25f);  // into sigma 0: denoised
}

TEST(FlowSampler, DpmPp2mIsExactForAConstantPrediction) {
  auto sampler = sampling::make_flow_dpmpp_2m({1.0f, 0.5f, 0.25f, 0.0f});
  const Tensor d = Tensor::full(Shape{1}, 1.0f);
  Tensor x = Tensor::full(Shape{1}, 3.0f);
  x = sampler->step(x, d, 0);  // first order: 0.5 * 3 + 0.5 * 1
  EXPECT_NEAR(value(x), 2.0f, 1e-6);
  x = sampler->step(x, d, 1);  // second order with D_i = D_{i-1}: same formula
  EXPECT_NEAR(value(x), 1.5f, 1e-6);
  x = sampler->step(x, d, 2);
  EXPECT_FLOAT_EQ(value(x), 1.0f);
  EXPECT_THROW(sampler->step(x, d, 1), Error);  // out of order
}

TEST(FlowSampler, DpmPp2mSecondOrderCorrection) {
  // sigmas 1 -> e^-1 -> e^-2 -> 0: h = 1 at both steps, r = 1, D = 1.5 D_1 - 0.5 D_0.
  const float s1 = std::exp(-1.0f), s2 = std::exp(-2.0f);
  auto sampler = sampling::make_flow_dpmpp_2m({1.0f, s1, s2, 0.0f});
  Tensor x = sampler->step(Tensor::full(Shape{1}, 0.0f), Tensor::full(Shape{1}, 1.0f), 0);
  EXPECT_NEAR(value(x), 1.0 - std::exp(-1.0), 1e-6);
  const double d = 1.5 * 3.0 - 0.5 * 1.0;
  const double want = std::exp(-1.0) * value(x) + (1.0 - std::exp(-1.0)) * d;
  x = sampler->step(x, Tensor::full(Shape{1}, 3.0f), 1);
  EXPECT_NEAR(value(x), want, 1e-5);
}

TEST(FlowGuidance, SkipLayerWindowIsStrict) {
  sampling::SkipLayerGuidance slg;
  slg.scale = 2.5f;
  slg.layers = {7, 8, 9};
  std::vector<int> active;
  for (int step = 0; step < 10; ++step)
    if (slg.active(step, 10)) active.push_back(step);
  EXPECT_EQ(active, std::vector<int>{1});  // 0.1 < step < 2
  for (int step = 0; step < 4; ++step) EXPECT_FALSE(slg.active(step, 4));  // 0.04 < step < 0.8: none
  int count = 0;
  for (int step = 0; step < 50; ++step) count += slg.active(step, 50) ? 1 : 0;
  EXPECT_EQ(count, 9);  // 0.5 < step < 10: 1..9
  slg.scale = 0.0f;
  EXPECT_FALSE(slg.active(1, 10));
}

TEST(FlowGuidance, CfgOnDenoisedThenSkipLayer) {
  // A model whose velocity depends on the pass: rows [cond; uncond] get 1 and 3, the skip pass 2.
  std::vector<std::string> calls;
  const sampling::FlowModelFn model = [&](const Tensor& x, float, sampling::FlowPass pass, std::span<const int> skip) {
    calls.push_back(pass == sampling::FlowPass::CondUncond ? "both" : "cond/skip" + std::to_string(skip.size()));
    Tensor v = Tensor::empty(x.shape());
    for (int64_t i = 0; i < x.dim(0); ++i)
      v.data<float>()[i] = pass == sampling::FlowPass::Cond ? 2.0f : (i < x.dim(0) / 2 ? 1.0f : 3.0f);
    return v;
  };
  sampling::SkipLayerGuidance slg;
  slg.scale = 0.5f;
  slg.start = 0.0;
  slg.end = 1.0;
  slg.layers = {1};
  const sampling::FlowGuider guider(model, 4.0f, slg, 4);
  const Tensor x = Tensor::full(Shape{1}, 10.0f);
  bool applied = true;
  // sigma 0.5: cond = 10 - 0.5, uncond = 10 - 1.5; D = 8.5 + 1 * 4 = 12.5; at step 0 no SLG (0 > 0 false).
  EXPECT_FLOAT_EQ(value(guider(x, 0.5f, 0, &applied)), 12.5f);
  EXPECT_FALSE(applied);
  // step 1: skip = 10 - 1 = 9; D += (9.5 - 9) * 0.5
  EXPECT_FLOAT_EQ(value(guider(x, 0.5f, 1, &applied)), 12.75f);
  EXPECT_TRUE(applied);
  EXPECT_EQ(calls, (std::vector<std::string>{"both", "both", "cond/skip1"}));
}

}  // namespace
}  // namespace ad

// Euler on denoised predictions (sd3_impls.sample_euler, Karras et al. 2022 algorithm 2 without
// churn): d = (x - denoised) / sigma_i; x <- x + d * (sigma_{i+1} - sigma_i). Also the shared
// flow-sampler helpers (name parsing, the factory, the loop).
#include "backend/ops.h"
#include "sampling/flow_sampler.h"

namespace ad::sampling {

namespace {

class FlowEulerSampler final : public FlowSampler {
 public:
  explicit FlowEulerSampler(std::vector<float> sigmas) : sigmas_(std::move(sigmas)) {
    AD_CHECK(sigmas_.size() >= 2, "flow Euler: {} sigmas (need at least 2)", sigmas_.size());
  }

  std::string_view name() const override { return "euler"; }
  const std::vector<float>& sigmas() const override { return sigmas_; }

  Tensor step(const Tensor& x, const Tensor& denoised, int index) override {
    AD_CHECK(index >= 0 && index < steps(), "flow Euler: step {} of {}", index, steps());
    const float sigma = sigmas_[static_cast<size_t>(index)];
    const float dt = sigmas_[static_cast<size_t>(index) + 1] - sigma;  // float32, as the reference
    const Tensor d = ops::affine(ops::sub(x, denoised), 1.0f / sigma, 0.0f);
    return ops::add(x, ops::affine(d, dt, 0.0f));
  }

 private:
  std::vector<float> sigmas_;
};

}  // namespace

std::unique_ptr<FlowSampler> make_flow_euler(std::vector<float> sigmas) {
  return std::make_unique<FlowEulerSampler>(std::move(sigmas));
}

FlowSamplerKind parse_flow_sampler(const std::string& name) {
  if (name == "euler") return FlowSamplerKind::Euler;
  if (name == "dpmpp_2m") return FlowSamplerKind::DpmPp2m;
  fail("unknown flow sampler '{}' (euler or dpmpp_2m)", name);
}

std::unique_ptr<FlowSampler> make_flow_sampler(FlowSamplerKind kind, std::vector<float> sigmas) {
  switch (kind) {
    case FlowSamplerKind::Euler: return make_flow_euler(std::move(sigmas));
    case FlowSamplerKind::DpmPp2m: return make_flow_dpmpp_2m(std::move(sigmas));
  }
  return make_flow_euler(std::move(sigmas));
}

Tensor run_flow_sampler(FlowSampler& sampler, Tensor x, const FlowDenoiser& denoiser, const FlowStepObserver& observer) {
  for (int i = 0; i < sampler.steps(); ++i) {
    const Tensor denoised = denoiser(x, sampler.sigmas()[static_cast<size_t>(i)], i);
    if (observer) observer(i, x, denoised);
    x = sampler.step(x, denoised, i);
  }
  return x;
}

}  // namespace ad::sampling

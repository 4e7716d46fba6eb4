// Euler and Euler ancestral, as diffusers' EulerDiscreteScheduler / EulerAncestralDiscreteScheduler
// (epsilon prediction, no churn): sigmas = sqrt((1 - a) / a) interpolated at the (float)
// timesteps, final sigma 0; x0 = x - sigma eps; x_next = x + (x - x0) / sigma * (sigma_next - sigma),
// or, ancestral, to sigma_down plus noise * sigma_up.
#include <cmath>

#include "backend/ops.h"
#include "sampling/sampler.h"

namespace ad::sampling {

namespace {

class EulerSampler final : public Sampler {
 public:
  EulerSampler(const DiscreteScheduleConfig& config, int steps, bool ancestral) : ancestral_(ancestral) {
    const std::vector<float> alphas = alphas_cumprod(config);
    std::vector<float> train_sigmas(alphas.size());
    for (size_t i = 0; i < alphas.size(); ++i) train_sigmas[i] = std::sqrt((1.0f - alphas[i]) / alphas[i]);
    timesteps_ = inference_timesteps(config, steps, false);
    for (double t : timesteps_) {
      // numpy.interp over the integer grid, then float32 like the scheduler's tensor.
      const double clamped = std::clamp(t, 0.0, static_cast<double>(train_sigmas.size() - 1));
      const size_t lo = static_cast<size_t>(std::floor(clamped));
      const size_t hi = std::min(lo + 1, train_sigmas.size() - 1);
      const double frac = clamped - static_cast<double>(lo);
      sigmas_.push_back(static_cast<float>(train_sigmas[lo] + frac * (static_cast<double>(train_sigmas[hi]) - train_sigmas[lo])));
    }
    sigmas_.push_back(0.0f);
    const double max_sigma = *std::max_element(sigmas_.begin(), sigmas_.end());
    init_sigma_ = config.spacing == TimestepSpacing::Leading ? std::sqrt(max_sigma * max_sigma + 1.0) : max_sigma;
  }

  std::string_view name() const override { return ancestral_ ? "euler_a" : "euler"; }
  const std::vector<double>& timesteps() const override { return timesteps_; }
  std::vector<float> sigmas() const override { return sigmas_; }
  double init_noise_sigma() const override { return init_sigma_; }
  bool needs_noise() const override { return ancestral_; }

  Tensor scale_model_input(const Tensor& sample, int index) const override {
    const double sigma = sigmas_.at(static_cast<size_t>(index));
    return ops::affine(sample, static_cast<float>(1.0 / std::sqrt(sigma * sigma + 1.0)), 0.0f);
  }

  StepResult step(const Tensor& eps, int index, const Tensor& sample, const Tensor& noise) const override {
    AD_CHECK(index >= 0 && index + 1 < static_cast<int>(sigmas_.size()), "Euler: step {} of {}", index, timesteps_.size());
    const double sigma = sigmas_[static_cast<size_t>(index)];
    const double sigma_next = sigmas_[static_cast<size_t>(index) + 1];
    StepResult r;
    r.pred_original_sample = ops::sub(sample, ops::affine(eps, static_cast<float>(sigma), 0.0f));
    // (x - x0) / sigma is eps itself for epsilon prediction.
    if (!ancestral_) {
      r.prev_sample = ops::add(sample, ops::affine(eps, static_cast<float>(sigma_next - sigma), 0.0f));
      return r;
    }
    AD_CHECK(noise.defined(), "Euler ancestral: step {} needs noise", index);
    const double up = std::sqrt(sigma_next * sigma_next * (sigma * sigma - sigma_next * sigma_next) / (sigma * sigma));
    const double down = std::sqrt(sigma_next * sigma_next - up * up);
    r.prev_sample = ops::add(ops::add(sample, ops::affine(eps, static_cast<float>(down - sigma), 0.0f)),
                             ops::affine(noise, static_cast<float>(up), 0.0f));
    return r;
  }

 private:
  bool ancestral_;
  std::vector<double> timesteps_;
  std::vector<float> sigmas_;
  double init_sigma_ = 1.0;
};

}  // namespace

std::unique_ptr<Sampler> make_euler(const DiscreteScheduleConfig& config, int steps, bool ancestral) {
  return std::make_unique<EulerSampler>(config, steps, ancestral);
}

SamplerKind parse_sampler(const std::string& name) {
  if (name == "ddim") return SamplerKind::Ddim;
  if (name == "euler") return SamplerKind::Euler;
  if (name == "euler_a" || name == "euler_ancestral") return SamplerKind::EulerAncestral;
  fail("unknown sampler '{}' (ddim, euler or euler_a)", name);
}

std::unique_ptr<Sampler> make_sampler(SamplerKind kind, const DiscreteScheduleConfig& config, int steps) {
  switch (kind) {
    case SamplerKind::Ddim: return make_ddim(config, steps);
    case SamplerKind::Euler: return make_euler(config, steps, false);
    case SamplerKind::EulerAncestral: return make_euler(config, steps, true);
  }
  return make_ddim(config, steps);
}

}  // namespace ad::sampling

// DDIM (eta = 0), as diffusers' DDIMScheduler: x0 = (x - sqrt(1 - a_t) eps) / sqrt(a_t);
// x_prev = sqrt(a_prev) x0 + sqrt(1 - a_prev) eps with prev_t = t - T // N, and a_prev = 1 (or
// alphas_cumprod[0]) past the end.
#include <cmath>

#include "backend/ops.h"
#include "sampling/sampler.h"

namespace ad::sampling {

namespace {

class DdimSampler final : public Sampler {
 public:
  DdimSampler(const DiscreteScheduleConfig& config, int steps)
      : config_(config), alphas_(alphas_cumprod(config)), timesteps_(inference_timesteps(config, steps, true)),
        step_ratio_(config.num_train_timesteps / steps) {}

  std::string_view name() const override { return "ddim"; }
  const std::vector<double>& timesteps() const override { return timesteps_; }
  double init_noise_sigma() const override { return 1.0; }
  Tensor scale_model_input(const Tensor& sample, int) const override { return sample; }

  StepResult step(const Tensor& eps, int index, const Tensor& sample, const Tensor&) const override {
    AD_CHECK(index >= 0 && index < static_cast<int>(timesteps_.size()), "DDIM: step {} of {}", index, timesteps_.size());
    const int t = static_cast<int>(timesteps_[static_cast<size_t>(index)]);
    const int prev_t = t - step_ratio_;
    const double a_t = alphas_[static_cast<size_t>(t)];
    const double a_prev = prev_t >= 0 ? alphas_[static_cast<size_t>(prev_t)] : (config_.set_alpha_to_one ? 1.0 : alphas_[0]);
    StepResult r;
    // x0 = x / sqrt(a_t) - eps * sqrt(1 - a_t) / sqrt(a_t)
    r.pred_original_sample = ops::add(ops::affine(sample, static_cast<float>(1.0 / std::sqrt(a_t)), 0.0f),
                                      ops::affine(eps, static_cast<float>(-std::sqrt(1.0 - a_t) / std::sqrt(a_t)), 0.0f));
    r.prev_sample = ops::add(ops::affine(r.pred_original_sample, static_cast<float>(std::sqrt(a_prev)), 0.0f),
                             ops::affine(eps, static_cast<float>(std::sqrt(1.0 - a_prev)), 0.0f));
    return r;
  }

 private:
  DiscreteScheduleConfig config_;
  std::vector<float> alphas_;
  std::vector<double> timesteps_;
  int step_ratio_;
};

}  // namespace

std::unique_ptr<Sampler> make_ddim(const DiscreteScheduleConfig& config, int steps) {
  return std::make_unique<DdimSampler>(config, steps);
}

}  // namespace ad::sampling

// DPM-Solver++(2M) on denoised predictions (k-diffusion sample_dpmpp_2m as sd3_impls has it;
// not diffusers' flow-matching DPM-Solver, which uses alpha = 1 - sigma):
//   t_i = -log(sigma_i), h = t_{i+1} - t_i
//   first step, or a step into sigma 0:  x <- (sigma_{i+1} / sigma_i) x - expm1(-h) D_i
//   otherwise: r = (t_i - t_{i-1}) / h,  D = (1 + 1/(2r)) D_i - 1/(2r) D_{i-1},
//              x <- (sigma_{i+1} / sigma_i) x - expm1(-h) D
// (into sigma 0 the update is x = D_i).
#include <cmath>

#include "backend/ops.h"
#include "sampling/flow_sampler.h"

namespace ad::sampling {

namespace {

class FlowDpmpp2mSampler final : public FlowSampler {
 public:
  explicit FlowDpmpp2mSampler(std::vector<float> sigmas) : sigmas_(std::move(sigmas)) {
    AD_CHECK(sigmas_.size() >= 2, "DPM++ 2M: {} sigmas (need at least 2)", sigmas_.size());
  }

  std::string_view name() const override { return "dpmpp_2m"; }
  const std::vector<float>& sigmas() const override { return sigmas_; }

  Tensor step(const Tensor& x, const Tensor& denoised, int index) override {
    AD_CHECK(index >= 0 && index < steps(), "DPM++ 2M: step {} of {}", index, steps());
    AD_CHECK(index == next_index_, "DPM++ 2M: step {} called after step {}", index, next_index_ - 1);
    const auto i = static_cast<size_t>(index);
    const double sigma = sigmas_[i], sigma_next = sigmas_[i + 1];
    Tensor out;
    if (sigma_next == 0.0) {
      out = denoised.clone();
    } else {
      const double t = -std::log(sigma), t_next = -std::log(sigma_next);
      const double h = t_next - t;
      const auto ratio = static_cast<float>(std::exp(-t_next) / std::exp(-t));
      const auto coefficient = static_cast<float>(-std::expm1(-h));
      Tensor d = denoised;
      if (old_denoised_.defined()) {
        const double h_last = t - (-std::log(static_cast<double>(sigmas_[i - 1])));
        const double r = h_last / h;
        d = ops::add(ops::affine(denoised, static_cast<float>(1.0 + 1.0 / (2.0 * r)), 0.0f),
                     ops::affine(old_denoised_, static_cast<float>(-1.0 / (2.0 * r)), 0.0f));
      }
      out = ops::add(ops::affine(x, ratio, 0.0f), ops::affine(d, coefficient, 0.0f));
    }
    old_denoised_ = denoised;
    ++next_index_;
    return out;
  }

 private:
  std::vector<float> sigmas_;
  Tensor old_denoised_;
  int next_index_ = 0;
};

}  // namespace

std::unique_ptr<FlowSampler> make_flow_dpmpp_2m(std::vector<float> sigmas) {
  return std::make_unique<FlowDpmpp2mSampler>(std::move(sigmas));
}

}  // namespace ad::sampling

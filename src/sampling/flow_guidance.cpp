#include "sampling/flow_guidance.h"

#include "backend/ops.h"
#include "sampling/flow_schedule.h"

namespace ad::sampling {

Tensor FlowGuider::operator()(const Tensor& x, float sigma, int step, bool* slg_applied) const {
  const int64_t rows = x.dim(0);
  const Tensor batch = ops::concat({x, x}, 0);  // [2N, ...]: cond rows, then uncond rows
  const Tensor denoised = flow_denoised(batch, model_(batch, sigma, FlowPass::CondUncond, {}), sigma);
  const Tensor cond = denoised.slice(0, 0, rows);
  const Tensor uncond = denoised.slice(0, rows, 2 * rows);
  Tensor guided = ops::add(uncond, ops::affine(ops::sub(cond, uncond), cfg_scale_, 0.0f));
  const bool skip = slg_.active(step, steps_);
  if (skip) {
    const Tensor skipped = flow_denoised(x, model_(x, sigma, FlowPass::Cond, slg_.layers), sigma);
    guided = ops::add(guided, ops::affine(ops::sub(cond, skipped), slg_.scale, 0.0f));
  }
  if (slg_applied) *slg_applied = skip;
  return guided;
}

}  // namespace ad::sampling

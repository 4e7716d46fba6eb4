#include "sampling/flow_schedule.h"

#include "backend/ops.h"

namespace ad::sampling {

float FlowSchedule::sigma(float timestep) const {
  // float32 throughout, with the Python scalars rounded to float as torch does.
  const float t = timestep / 1000.0f;
  if (shift == 1.0) return t;
  const float s = static_cast<float>(shift);
  const float s_minus_one = static_cast<float>(shift - 1.0);
  return s * t / (1.0f + s_minus_one * t);
}

std::vector<float> FlowSchedule::sigmas(int steps) const {
  AD_CHECK(steps >= 1, "flow schedule: {} steps", steps);
  std::vector<float> out;
  for (float t : linspace_f32(flow_timestep(sigma_max()), flow_timestep(sigma_min()), steps)) out.push_back(sigma(t));
  out.push_back(0.0f);
  return out;
}

std::vector<float> linspace_f32(float start, float end, int steps) {
  AD_CHECK(steps >= 1, "linspace: {} steps", steps);
  if (steps == 1) return {start};
  const float step = (end - start) / static_cast<float>(steps - 1);
  const int halfway = steps / 2;
  std::vector<float> out(static_cast<size_t>(steps));
  for (int i = 0; i < steps; ++i)
    out[static_cast<size_t>(i)] = i < halfway ? start + step * static_cast<float>(i)
                                              : end - step * static_cast<float>(steps - i - 1);
  return out;
}

int flow_img2img_start(int steps, double denoise) {
  AD_CHECK(denoise > 0.0 && denoise <= 1.0, "img2img: denoising strength {} is outside (0, 1]", denoise);
  return static_cast<int>(static_cast<double>(steps) * (1.0 - denoise));
}

Tensor flow_noise_scaling(float sigma, const Tensor& noise, const Tensor& latent) {
  return ops::add(ops::affine(noise, sigma, 0.0f), ops::affine(latent, 1.0f - sigma, 0.0f));
}

Tensor flow_denoised(const Tensor& x, const Tensor& velocity, float sigma) {
  return ops::sub(x, ops::affine(velocity, sigma, 0.0f));
}

}  // namespace ad::sampling

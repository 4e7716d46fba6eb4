// The flow-matching schedule of SD3 / SD3.5, computed in float32 as the reference does it:
// sd3_impls.ModelSamplingDiscreteFlow and sd3_infer.SD3Inferencer.get_sigmas
// (https://github.com/Stability-AI/sd3.5/blob/fbf8f483f992d8d6ad4eaaeb23b1dc5f523c3b3a/sd3_infer.py).
//
//   sigma(t) = shift * (t/1000) / (1 + (shift - 1) * (t/1000))       (t/1000 itself for shift 1)
//   sigma_max = sigma(1000) = 1, sigma_min = sigma(1)
//   sigmas = sigma(linspace(1000 * sigma_max, 1000 * sigma_min, steps)), then a final 0
// The shift is applied a second time to the already shifted low end (the last non-zero sigma
// is sigma(1000 * sigma(1)), 0.00893 for shift 3), as sd3_infer and diffusers' set_timesteps do.
// The model receives timestep = sigma * 1000 (float32); x_t = sigma * noise + (1 - sigma) * x_0,
// and a velocity prediction v gives the denoised x_0 = x_t - sigma * v.
#pragma once

#include <vector>

#include "core/tensor.h"

namespace ad::sampling {

struct FlowSchedule {
  double shift = 3.0;  // sd3_infer CONFIGS: 3.0 (SD3.5), 1.0 (SD3 Medium)

  float sigma(float timestep) const;
  float sigma_min() const { return sigma(1.0f); }
  float sigma_max() const { return sigma(1000.0f); }
  // steps + 1 values, descending, ending in 0.
  std::vector<float> sigmas(int steps) const;
};

// torch.linspace(start, end, steps) in float32 (the first half counted from start, the second
// from end, as torch's CPU kernel does).
std::vector<float> linspace_f32(float start, float end, int steps);

// The timestep the model receives for sigma.
inline float flow_timestep(float sigma) { return sigma * 1000.0f; }

// img2img: the first schedule index used, int(steps * (1 - denoise)) in double precision with
// truncation, as sd3_infer.do_sampling (40 steps at 0.8 start at 7; diffusers would say 8).
int flow_img2img_start(int steps, double denoise);

// sigma * noise + (1 - sigma) * latent (ModelSamplingDiscreteFlow.noise_scaling).
Tensor flow_noise_scaling(float sigma, const Tensor& noise, const Tensor& latent);
// x - velocity * sigma (ModelSamplingDiscreteFlow.calculate_denoised).
Tensor flow_denoised(const Tensor& x, const Tensor& velocity, float sigma);

}  // namespace ad::sampling

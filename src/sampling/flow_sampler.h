// Samplers of flow-matching models (SD3 / SD3.5) over a sigma schedule (flow_schedule.h),
// working on denoised (x0) predictions as sd3_impls' k-diffusion-style samplers do
// (https://github.com/Stability-AI/sd3.5/blob/fbf8f483f992d8d6ad4eaaeb23b1dc5f523c3b3a/sd3_impls.py:
// sample_euler, sample_dpmpp_2m). The caller owns the loop and the model calls: at step i it
// computes denoised = D(x, sigmas[i]) (flow_guidance.h: CFG, skip-layer guidance) and asks the
// sampler for x at sigmas[i + 1]. One file per sampler.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor.h"

namespace ad::sampling {

class FlowSampler {
 public:
  virtual ~FlowSampler() = default;
  virtual std::string_view name() const = 0;
  // The sigmas this sampler walks: steps + 1 values ending in 0 (img2img: the tail of a schedule).
  virtual const std::vector<float>& sigmas() const = 0;
  int steps() const { return static_cast<int>(sigmas().size()) - 1; }
  // x at sigmas[index + 1] from x at sigmas[index] and the denoised prediction there. Multistep
  // samplers remember earlier predictions: call with index 0, 1, 2, ... in order.
  virtual Tensor step(const Tensor& x, const Tensor& denoised, int index) = 0;
};

enum class FlowSamplerKind { Euler, DpmPp2m };
FlowSamplerKind parse_flow_sampler(const std::string& name);  // "euler", "dpmpp_2m"

// x <- x + (x - denoised) / sigma_i * (sigma_{i+1} - sigma_i); no noise between steps.
std::unique_ptr<FlowSampler> make_flow_euler(std::vector<float> sigmas);
// DPM-Solver++(2M) in t = -log(sigma) (k-diffusion's, as sd3_impls.sample_dpmpp_2m).
std::unique_ptr<FlowSampler> make_flow_dpmpp_2m(std::vector<float> sigmas);
std::unique_ptr<FlowSampler> make_flow_sampler(FlowSamplerKind kind, std::vector<float> sigmas);

// The denoised prediction at (x, sigma) for step `index` (counted from 0 in this run).
using FlowDenoiser = std::function<Tensor(const Tensor& x, float sigma, int index)>;
// Sees each step: the index, x entering it, the denoised prediction.
using FlowStepObserver = std::function<void(int index, const Tensor& x, const Tensor& denoised)>;

// The whole loop: x at sigmas[0] -> x at the final sigma (0).
Tensor run_flow_sampler(FlowSampler& sampler, Tensor x, const FlowDenoiser& denoiser,
                        const FlowStepObserver& observer = {});

}  // namespace ad::sampling

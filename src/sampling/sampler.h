// Samplers of discrete-time diffusion models (epsilon prediction): a schedule of model
// timesteps, the scaling of the model input, and one update per step. The caller owns the loop
// (see pipeline/), the model and any randomness (ancestral noise comes in as an argument).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "sampling/schedule.h"

namespace ad::sampling {

struct StepResult {
  Tensor prev_sample;           // x at the next (lower-noise) timestep
  Tensor pred_original_sample;  // the model's x0 estimate
};

class Sampler {
 public:
  virtual ~Sampler() = default;
  virtual std::string_view name() const = 0;
  // Model timesteps of each step, descending.
  virtual const std::vector<double>& timesteps() const = 0;
  // Noise level of each step and of the final state (sigma-space samplers); empty for DDIM.
  virtual std::vector<float> sigmas() const { return {}; }
  // Scale of the initial noise (1 for DDIM, the largest sigma for Euler).
  virtual double init_noise_sigma() const = 0;
  // The model's input at step `index` (identity for DDIM, x / sqrt(sigma^2 + 1) for Euler).
  virtual Tensor scale_model_input(const Tensor& sample, int index) const = 0;
  // True when step() needs a standard normal `noise` tensor (ancestral samplers).
  virtual bool needs_noise() const { return false; }
  virtual StepResult step(const Tensor& eps, int index, const Tensor& sample, const Tensor& noise = {}) const = 0;
};

enum class SamplerKind { Ddim, Euler, EulerAncestral };
SamplerKind parse_sampler(const std::string& name);  // "ddim", "euler", "euler_a"

std::unique_ptr<Sampler> make_ddim(const DiscreteScheduleConfig& config, int steps);
std::unique_ptr<Sampler> make_euler(const DiscreteScheduleConfig& config, int steps, bool ancestral);
std::unique_ptr<Sampler> make_sampler(SamplerKind kind, const DiscreteScheduleConfig& config, int steps);

}  // namespace ad::sampling

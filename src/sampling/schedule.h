// Discrete diffusion schedules (DDPM training schedule of SD1.x / AnimateDiff) and the timestep
// spacings of diffusers' schedulers, computed in float32 as diffusers does.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ad::sampling {

enum class BetaSchedule { Linear, ScaledLinear };
enum class TimestepSpacing { Leading, Linspace, Trailing };

struct DiscreteScheduleConfig {
  int num_train_timesteps = 1000;
  double beta_start = 0.00085;
  double beta_end = 0.012;
  BetaSchedule beta_schedule = BetaSchedule::Linear;  // AnimateDiff: linear (SD1.5 itself: scaled_linear)
  TimestepSpacing spacing = TimestepSpacing::Leading;
  int steps_offset = 1;
  bool set_alpha_to_one = true;  // DDIM's alpha for the step after the last
};

BetaSchedule parse_beta_schedule(const std::string& name);
TimestepSpacing parse_timestep_spacing(const std::string& name);

// alphas_cumprod = cumprod(1 - betas), float32 like torch.
std::vector<float> alphas_cumprod(const DiscreteScheduleConfig& config);

// Inference timesteps, descending: leading = arange(N) * (T // N) reversed + offset; linspace =
// linspace(0, T - 1, N) reversed (rounded when `integer`); trailing = arange(T, 0, -T / N) - 1.
std::vector<double> inference_timesteps(const DiscreteScheduleConfig& config, int steps, bool integer);

}  // namespace ad::sampling

#include "sampling/schedule.h"

#include <cmath>

#include "core/error.h"

namespace ad::sampling {

BetaSchedule parse_beta_schedule(const std::string& name) {
  if (name == "linear") return BetaSchedule::Linear;
  if (name == "scaled_linear") return BetaSchedule::ScaledLinear;
  fail("unknown beta schedule '{}' (linear or scaled_linear)", name);
}

TimestepSpacing parse_timestep_spacing(const std::string& name) {
  if (name == "leading") return TimestepSpacing::Leading;
  if (name == "linspace") return TimestepSpacing::Linspace;
  if (name == "trailing") return TimestepSpacing::Trailing;
  fail("unknown timestep spacing '{}' (leading, linspace or trailing)", name);
}

namespace {
// torch.linspace in float32: start + i * step for the first half, end - (n - 1 - i) * step after.
std::vector<float> linspace_f32(float start, float end, int n) {
  std::vector<float> v(static_cast<size_t>(n));
  const float step = n > 1 ? (end - start) / static_cast<float>(n - 1) : 0.0f;
  const int half = n / 2;
  for (int i = 0; i < n; ++i)
    v[static_cast<size_t>(i)] = i < half ? start + step * static_cast<float>(i) : end - step * static_cast<float>(n - 1 - i);
  return v;
}
}  // namespace

std::vector<float> alphas_cumprod(const DiscreteScheduleConfig& c) {
  AD_CHECK(c.num_train_timesteps > 1, "schedule: {} training timesteps", c.num_train_timesteps);
  std::vector<float> betas;
  if (c.beta_schedule == BetaSchedule::Linear) {
    betas = linspace_f32(static_cast<float>(c.beta_start), static_cast<float>(c.beta_end), c.num_train_timesteps);
  } else {
    betas = linspace_f32(std::sqrt(static_cast<float>(c.beta_start)), std::sqrt(static_cast<float>(c.beta_end)),
                         c.num_train_timesteps);
    for (float& b : betas) b = b * b;
  }
  std::vector<float> out(betas.size());
  float product = 1.0f;
  for (size_t i = 0; i < betas.size(); ++i) {
    product *= 1.0f - betas[i];
    out[i] = product;
  }
  return out;
}

std::vector<double> inference_timesteps(const DiscreteScheduleConfig& c, int steps, bool integer) {
  AD_CHECK(steps >= 1 && steps <= c.num_train_timesteps, "{} steps: must be between 1 and {}", steps,
           c.num_train_timesteps);
  const int T = c.num_train_timesteps;
  std::vector<double> t(static_cast<size_t>(steps));
  switch (c.spacing) {
    case TimestepSpacing::Leading: {
      const int ratio = T / steps;
      for (int i = 0; i < steps; ++i) t[static_cast<size_t>(steps - 1 - i)] = static_cast<double>(i * ratio + c.steps_offset);
      break;
    }
    case TimestepSpacing::Linspace: {
      for (int i = 0; i < steps; ++i) {
        // numpy.linspace(0, T - 1, steps) in float64
        const double v = steps > 1 ? static_cast<double>(T - 1) * i / (steps - 1) : 0.0;
        t[static_cast<size_t>(steps - 1 - i)] = integer ? std::nearbyint(v) : static_cast<double>(static_cast<float>(v));
      }
      break;
    }
    case TimestepSpacing::Trailing: {
      const double ratio = static_cast<double>(T) / steps;
      for (int i = 0; i < steps; ++i) t[static_cast<size_t>(i)] = std::nearbyint(T - i * ratio) - 1;
      break;
    }
  }
  return t;
}

}  // namespace ad::sampling

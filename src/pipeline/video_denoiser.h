// The denoising loop of text-to-video as a step iterator: each next() runs the UNet (with its
// motion modules) on [uncond videos, cond videos], applies classifier-free guidance and one
// sampler step. Progress, previews and cancelling are the caller's business.
#pragma once

#include <functional>

#include "models/unet/unet.h"
#include "sampling/sampler.h"

namespace ad::pipeline {

// eps_uncond + scale * (eps_cond - eps_uncond) from UNet evaluations of the uncond and cond rows;
// with scale <= 1 only the cond rows are evaluated. latents: frame rows [(B F), C, h, w];
// cond / uncond: one embedding per video [B, S, D].
Tensor guided_noise(const models::UNet2DConditionModel& unet, const models::VideoOptions& video, const Tensor& latents,
                    double timestep, const Tensor& cond, const Tensor& uncond, double guidance_scale);

class VideoDenoiser {
 public:
  struct Step {
    int index = 0;
    double timestep = 0;
    Tensor guided_eps;  // frame rows
    Tensor latents;     // after the step, frame rows
  };
  // Standard normal noise of a shape, for ancestral samplers.
  using NoiseFn = std::function<Tensor(const Shape&)>;

  // initial: frame rows of pure noise N(0, 1); scaled by the sampler's init_noise_sigma here.
  VideoDenoiser(const models::UNet2DConditionModel& unet, const models::VideoOptions& video,
                const sampling::Sampler& sampler, Tensor cond, Tensor uncond, double guidance_scale, const Tensor& initial,
                NoiseFn noise = {});

  int steps() const { return static_cast<int>(sampler_.timesteps().size()); }
  bool done() const { return index_ >= steps(); }
  Step next();
  const Tensor& latents() const { return latents_; }

 private:
  const models::UNet2DConditionModel& unet_;
  models::VideoOptions video_;
  const sampling::Sampler& sampler_;
  Tensor cond_, uncond_;
  double guidance_scale_;
  NoiseFn noise_;
  Tensor latents_;
  int index_ = 0;
};

}  // namespace ad::pipeline

#include "pipeline/video_denoiser.h"

#include "backend/ops.h"

namespace ad::pipeline {

Tensor guided_noise(const models::UNet2DConditionModel& unet, const models::VideoOptions& video, const Tensor& latents,
                    double timestep, const Tensor& cond, const Tensor& uncond, double guidance_scale) {
  const Tensor t = Tensor::full(Shape{1}, static_cast<float>(timestep));
  if (guidance_scale <= 1.0) return unet.forward(latents, t, cond, video);
  const int64_t rows = latents.dim(0);
  // Small latents: one batch [uncond, cond] (larger GEMMs). Large ones (16 frames of 32x32 and
  // up): two passes, which halves the activation memory while each GEMM stays large.
  constexpr int64_t kSplitPositions = 8192;
  Tensor eps_uncond, eps_cond;
  if (latents.numel() / latents.dim(1) >= kSplitPositions) {
    eps_uncond = unet.forward(latents, t, uncond, video);
    eps_cond = unet.forward(latents, t, cond, video);
  } else {
    const Tensor eps = unet.forward(ops::concat({latents, latents}, 0), t, ops::concat({uncond, cond}, 0), video);
    eps_uncond = eps.slice(0, 0, rows);
    eps_cond = eps.slice(0, rows, 2 * rows);
  }
  return ops::add(eps_uncond, ops::affine(ops::sub(eps_cond, eps_uncond), static_cast<float>(guidance_scale), 0.0f));
}

VideoDenoiser::VideoDenoiser(const models::UNet2DConditionModel& unet, const models::VideoOptions& video,
                             const sampling::Sampler& sampler, Tensor cond, Tensor uncond, double guidance_scale,
                             const Tensor& initial, NoiseFn noise)
    : unet_(unet), video_(video), sampler_(sampler), cond_(std::move(cond)), uncond_(std::move(uncond)),
      guidance_scale_(guidance_scale), noise_(std::move(noise)) {
  AD_CHECK(!sampler.needs_noise() || noise_, "sampler {} needs a noise source", sampler.name());
  latents_ = ops::affine(initial, static_cast<float>(sampler.init_noise_sigma()), 0.0f);
}

VideoDenoiser::Step VideoDenoiser::next() {
  AD_CHECK(!done(), "the denoising loop is finished");
  Step step;
  step.index = index_;
  step.timestep = sampler_.timesteps()[static_cast<size_t>(index_)];
  const Tensor model_input = sampler_.scale_model_input(latents_, index_);
  step.guided_eps = guided_noise(unet_, video_, model_input, step.timestep, cond_, uncond_, guidance_scale_);
  const Tensor noise = sampler_.needs_noise() ? noise_(latents_.shape()) : Tensor();
  latents_ = sampler_.step(step.guided_eps, index_, latents_, noise).prev_sample;
  step.latents = latents_;
  ++index_;
  return step;
}

}  // namespace ad::pipeline

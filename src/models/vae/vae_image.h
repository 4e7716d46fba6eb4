// Between pixels, the VAE and the diffusion model: latent formats (VAE space <-> model space)
// and uint8 image conversions, as the references compute them in float32.
#pragma once

#include "core/tensor.h"

namespace ad::models {

// model = (vae - shift) * scale; vae = model / scale + shift.
struct LatentFormat {
  float scale = 0.18215f;
  float shift = 0.0f;

  static LatentFormat sd15() { return {0.18215f, 0.0f}; }
  // sd3_impls.SD3LatentFormat (SD3 and SD3.5).
  static LatentFormat sd3() { return {1.5305f, 0.0609f}; }

  Tensor to_model(const Tensor& vae_latent) const;   // process_in
  Tensor to_vae(const Tensor& model_latent) const;   // process_out
};

// uint8 [H, W, 3] (HWC, RGB) -> [1, 3, H, W] in [-1, 1]: u8 / 255 * 2 - 1 (sd3_infer.vae_encode).
Tensor image_u8_to_vae(const Tensor& image_hwc);

enum class U8Rounding { Truncate, Nearest };
// A decoded image [N, 3, H, W] (about [-1, 1]) -> uint8 [N, H, W, 3]:
// 255 * clamp((x + 1) / 2, 0, 1), truncated (sd3_infer, numpy astype) or rounded half to even
// (diffusers' VaeImageProcessor).
Tensor vae_to_image_u8(const Tensor& image, U8Rounding rounding);

}  // namespace ad::models

#include "models/vae/vae_image.h"

#include <algorithm>
#include <cmath>

#include "backend/ops.h"

namespace ad::models {

Tensor LatentFormat::to_model(const Tensor& vae_latent) const {
  // (x - shift) * scale, rounded as the reference's two float32 operations.
  return ops::affine(ops::affine(vae_latent, 1.0f, -shift), scale, 0.0f);
}

Tensor LatentFormat::to_vae(const Tensor& model_latent) const {
  // x / scale + shift
  return ops::affine(ops::div(model_latent, Tensor::full(Shape{1}, scale)), 1.0f, shift);
}

Tensor image_u8_to_vae(const Tensor& image_hwc) {
  AD_CHECK(image_hwc.dtype() == DType::U8 && image_hwc.ndim() == 3 && image_hwc.dim(2) == 3,
           "image {} must be uint8 [H, W, 3]", image_hwc.describe());
  const Tensor src = image_hwc.contiguous();
  const int64_t height = src.dim(0), width = src.dim(1);
  Tensor out = Tensor::empty(Shape{1, 3, height, width});
  const uint8_t* in = src.data<uint8_t>();
  float* dst = out.data<float>();
  for (int64_t c = 0; c < 3; ++c)
    for (int64_t i = 0; i < height * width; ++i)
      dst[c * height * width + i] = 2.0f * (static_cast<float>(in[i * 3 + c]) / 255.0f) - 1.0f;
  return out;
}

Tensor vae_to_image_u8(const Tensor& image, U8Rounding rounding) {
  AD_CHECK(image.dtype() == DType::F32 && image.ndim() == 4, "decoded image {} must be F32 [N, C, H, W]",
           image.describe());
  const Tensor src = image.contiguous();
  const int64_t batch = src.dim(0), channels = src.dim(1), height = src.dim(2), width = src.dim(3);
  Tensor out = Tensor::empty(Shape{batch, height, width, channels}, DType::U8);
  const float* in = src.data<float>();
  uint8_t* dst = out.data<uint8_t>();
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t c = 0; c < channels; ++c)
      for (int64_t i = 0; i < height * width; ++i) {
        const float v = 255.0f * std::clamp((in[(n * channels + c) * height * width + i] + 1.0f) / 2.0f, 0.0f, 1.0f);
        dst[(n * height * width + i) * channels + c] =
            static_cast<uint8_t>(rounding == U8Rounding::Nearest ? std::nearbyint(v) : std::trunc(v));
      }
  return out;
}

}  // namespace ad::models

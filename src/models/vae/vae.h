// AutoencoderKL: the SD1.x VAE (4 latent channels) and the SD3 VAE (16 latent channels, no
// quant convolutions). References: diffusers AutoencoderKL
// (https://github.com/huggingface/diffusers/blob/560fb5f/src/diffusers/models/autoencoders/autoencoder_kl.py)
// and LDM's Encoder / Decoder; for SD3 also Stability's sd3_impls.SDVAE
// (https://github.com/Stability-AI/sd3.5/blob/fbf8f483f992d8d6ad4eaaeb23b1dc5f523c3b3a/sd3_impls.py),
// the same architecture: GroupNorm(32, eps 1e-6), (0, 1, 0, 1) padding before each stride-2
// convolution. Module names follow diffusers; see vae_keys.h for the LDM map. Encoder and
// decoder load separately (a file may hold only one of them). Latent formats (the scaling
// between VAE space and model space) and pixel conversions: vae_image.h.
#pragma once

#include <optional>
#include <vector>

#include "nn/attention.h"
#include "nn/resnet.h"

namespace ad::models {

// GroupNorm -> single-head self-attention over the H*W positions (head_dim = C) -> + input.
struct VaeAttention {
  nn::GroupNorm norm;
  nn::MultiHeadAttention attention;
  static VaeAttention load(const nn::Binder& b, int64_t channels, int groups, float eps);
  Tensor operator()(const Tensor& x) const;
};

struct VaeMidBlock {
  nn::ResnetBlock2D resnet_1, resnet_2;
  VaeAttention attention;
  static VaeMidBlock load(const nn::Binder& b, int64_t channels, int groups, float eps);
  Tensor operator()(const Tensor& x) const { return resnet_2(attention(resnet_1(x))); }
};

struct VaeConfig {
  std::vector<int64_t> block_channels;  // per level, encoder order: 128, 256, 512, 512 for SD1.5
  int64_t latent_channels = 4;
  int64_t image_channels = 3;
  int layers_per_block = 2;
  int norm_groups = 32;
  float norm_eps = 1e-6f;
};

class VaeEncoder {
 public:
  // b positioned at "encoder." (diffusers names).
  static VaeEncoder load(const nn::Binder& b, int norm_groups = 32);
  const VaeConfig& config() const { return config_; }
  // image [N, 3, H, W] in [-1, 1] -> moments [N, 2 * latent, H/8, W/8] (before quant_conv);
  // `mid` (optional) receives the mid-block output.
  Tensor forward(const Tensor& image, Tensor* mid = nullptr) const;

 private:
  struct Level {
    std::vector<nn::ResnetBlock2D> resnets;
    std::optional<nn::Downsample2D> downsample;
  };
  VaeConfig config_;
  nn::Conv2d conv_in_, conv_out_;
  std::vector<Level> levels_;
  VaeMidBlock mid_;
  nn::GroupNorm norm_out_;
};

class VaeDecoder {
 public:
  // b positioned at "decoder." (diffusers names).
  static VaeDecoder load(const nn::Binder& b, int norm_groups = 32);
  const VaeConfig& config() const { return config_; }
  // latents [N, latent, h, w] (after post_quant_conv) -> image [N, 3, 8h, 8w] (about [-1, 1]).
  Tensor forward(const Tensor& latents, Tensor* mid = nullptr) const;

 private:
  struct Level {
    std::vector<nn::ResnetBlock2D> resnets;
    std::optional<nn::Upsample2D> upsample;
  };
  VaeConfig config_;
  nn::Conv2d conv_in_, conv_out_;
  VaeMidBlock mid_;
  std::vector<Level> levels_;  // decoding order (diffusers up_blocks.0 first)
  nn::GroupNorm norm_out_;
};

struct LatentPosterior {
  Tensor mean, logvar;  // logvar clamped to [-30, 20]
  // mean + exp(0.5 * logvar) * noise
  Tensor sample(const Tensor& noise) const;
};

class AutoencoderKL {
 public:
  // Loads the halves present under b ("encoder.*", "decoder.*", quant_conv, post_quant_conv).
  static AutoencoderKL load(const nn::Binder& b, int norm_groups = 32);
  bool has_encoder() const { return encoder_.has_value(); }
  bool has_decoder() const { return decoder_.has_value(); }
  int64_t latent_channels() const;

  LatentPosterior encode(const Tensor& image) const;
  // The encoder's moments [N, 2 * latent, h, w] (after quant_conv when there is one): mean, then
  // log-variance as computed (unclamped). `mid` (optional) receives the mid-block output.
  Tensor encode_moments(const Tensor& image, Tensor* mid = nullptr) const;
  // The posterior of moments: mean and clamped log-variance.
  static LatentPosterior posterior(const Tensor& moments);
  // VAE-space latents (already divided by the scaling factor, or process_out'd) -> image;
  // `mid` (optional) receives the decoder's state after conv_in and the mid block.
  Tensor decode(const Tensor& latents, Tensor* mid = nullptr) const;

 private:
  std::optional<VaeEncoder> encoder_;
  std::optional<VaeDecoder> decoder_;
  std::optional<nn::Conv2d> quant_conv_, post_quant_conv_;
};

}  // namespace ad::models

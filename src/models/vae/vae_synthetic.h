// Random weights of an AutoencoderKL of real shape (diffusers names), made in the process for
// benchmarks at real size.
#pragma once

#include <memory>
#include <vector>

#include "io/memory_tensor_file.h"

namespace ad::models {

struct VaeShape {
  std::vector<int64_t> block_channels{128, 256, 512, 512};
  int64_t latent_channels = 4;  // SD3: 16
  int layers_per_block = 2;     // resnets per level (+1 in the decoder)
  bool quant_convs = true;      // quant_conv / post_quant_conv (SD3's VAE has none)
  bool encoder = false;         // also encoder.* (img2img); the decoder is always made
};

std::shared_ptr<io::MemoryTensorFile> synthetic_vae_weights(const VaeShape& shape, DType dtype, uint64_t seed);

}  // namespace ad::models

// Random weights of a VAE decoder of real shape (diffusers names), made in the process for
// benchmarks at real size.
#pragma once

#include <memory>
#include <vector>

#include "io/memory_tensor_file.h"

namespace ad::models {

// post_quant_conv + decoder.* of an AutoencoderKL with `block_channels` (SD1.5: 128, 256, 512,
// 512), `latent_channels` (4; SD3: 16) and layers_per_block resnets per level (+1 in the decoder).
std::shared_ptr<io::MemoryTensorFile> synthetic_vae_decoder_weights(const std::vector<int64_t>& block_channels,
                                                                    int64_t latent_channels, int layers_per_block,
                                                                    DType dtype, uint64_t seed);

}  // namespace ad::models

// Random weights of a UNet's real shapes (diffusers names), made in the process: for benchmarks
// at real size and for tests, since real checkpoints are not available everywhere.
#pragma once

#include <memory>

#include "io/memory_tensor_file.h"
#include "models/unet/unet_config.h"

namespace ad::models {

// The SD1.5 UNet configuration (320/640/1280/1280, 8 heads, context 768).
UNetConfig sd15_unet_config();
// Every tensor of the UNet described by `config`, normal with std 1/sqrt(fan_in) (norm weights
// 1, biases 0), stored as `dtype`, from a seeded generator.
std::shared_ptr<io::MemoryTensorFile> synthetic_unet_weights(const UNetConfig& config, DType dtype, uint64_t seed);

}  // namespace ad::models

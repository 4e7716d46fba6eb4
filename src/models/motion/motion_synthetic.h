// Random AnimateDiff motion-module weights of real shape (the original checkpoint layout of
// mm_sd_v15_v2.ckpt), made in the process for benchmarks at real size.
#pragma once

#include <memory>

#include "io/memory_tensor_file.h"
#include "models/unet/unet_config.h"

namespace ad::models {

// One module per UNet layer of `unet` (down: layers_per_block, up: layers_per_block + 1), plus
// the mid-block module when `mid_block` (v2); positional tables of `max_len` frames.
std::shared_ptr<io::MemoryTensorFile> synthetic_motion_weights(const UNetConfig& unet, bool mid_block, int64_t max_len,
                                                               DType dtype, uint64_t seed);

}  // namespace ad::models

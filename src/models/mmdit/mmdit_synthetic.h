// Random weights of an MMDiT's real shapes in Stability's single-file key layout
// (`model.diffusion_model.*`, fused qkv, as in sd3_medium.safetensors / sd3.5_*.safetensors),
// made in the process: for benchmarks at real size, since the real checkpoints are not available
// everywhere. The tensors go through the same key map (mmdit_keys_original.cpp) and binders as a
// file, so MmditConfig::from_weights finds the configuration they were made from.
#pragma once

#include <memory>

#include "io/memory_tensor_file.h"
#include "models/mmdit/mmdit.h"

namespace ad::models {

// Every tensor of the MMDiT described by `config` (depth, width, heads, qk norm, dual-attention
// blocks, position table), stored as `dtype` (F32, F16 or BF16), allocated from the current arena.
// Weight matrices are uniform (4096 levels) with std 1/sqrt(fan_in), from a seeded counter-based
// generator, filled in parallel directly in `dtype`: no f32 copy of a tensor is made, so an F16
// model needs its F16 size only. The position table has std 0.5; RMS norm weights are 1, biases 0.
std::shared_ptr<io::MemoryTensorFile> synthetic_mmdit_weights(const MmditConfig& config, DType dtype, uint64_t seed);

// The number of parameters synthetic_mmdit_weights makes for `config`.
int64_t mmdit_parameter_count(const MmditConfig& config);

}  // namespace ad::models

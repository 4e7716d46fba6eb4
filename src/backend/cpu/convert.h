// Widening of stored weights (F16 / BF16) to F32 for the F32 kernels, vectorised per ISA.
#pragma once

#include <cstdint>

#include "core/tensor.h"

namespace ad::cpu {

void f16_to_f32_n(const uint16_t* src, float* dst, int64_t count);
void bf16_to_f32_n(const uint16_t* src, float* dst, int64_t count);

// The tensor as contiguous F32 (itself when it already is); F16/BF16 are widened in parallel.
Tensor as_dense_f32(const Tensor& t);

}  // namespace ad::cpu

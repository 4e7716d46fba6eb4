// x86 kernels of the weight widening in convert.cpp (F16 -> F32 with the hardware conversion
// instructions); convert.cpp picks one from CPUID.
#pragma once

#include <cstdint>

namespace ad::cpu::x86 {

// Whether this build has the x86 kernels (false on other architectures).
bool has_f16_kernels();
void f16_to_f32_avx512(const uint16_t* src, float* dst, int64_t count);  // needs AVX512F
void f16_to_f32_f16c(const uint16_t* src, float* dst, int64_t count);    // needs AVX + F16C

}  // namespace ad::cpu::x86

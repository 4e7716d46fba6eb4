// F16 -> F32 widening with vcvtph2ps (AVX-512: 16 per instruction, F16C: 8); each function is
// compiled for its ISA by a target attribute and called only when CPUID reports it.
#include "backend/cpu/arch/x86/convert_x86.h"

#include "core/dtype.h"

#if defined(__x86_64__) || defined(_M_X64)

#include <immintrin.h>

namespace ad::cpu::x86 {

bool has_f16_kernels() { return true; }

__attribute__((target("avx512f"))) void f16_to_f32_avx512(const uint16_t* src, float* dst, int64_t count) {
  int64_t i = 0;
  for (; i + 16 <= count; i += 16)
    // The masked form with a zero source: the unmasked one trips GCC 12's -Wmaybe-uninitialized.
    _mm512_storeu_ps(dst + i, _mm512_mask_cvtph_ps(_mm512_setzero_ps(), 0xffff,
                                                   _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i))));
  for (; i < count; ++i) dst[i] = f16_to_f32(src[i]);
}

__attribute__((target("avx,f16c"))) void f16_to_f32_f16c(const uint16_t* src, float* dst, int64_t count) {
  int64_t i = 0;
  for (; i + 8 <= count; i += 8)
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i))));
  for (; i < count; ++i) dst[i] = f16_to_f32(src[i]);
}

}  // namespace ad::cpu::x86

#else

namespace ad::cpu::x86 {
bool has_f16_kernels() { return false; }
void f16_to_f32_avx512(const uint16_t* src, float* dst, int64_t count) {
  for (int64_t i = 0; i < count; ++i) dst[i] = f16_to_f32(src[i]);
}
void f16_to_f32_f16c(const uint16_t* src, float* dst, int64_t count) { f16_to_f32_avx512(src, dst, count); }
}  // namespace ad::cpu::x86

#endif

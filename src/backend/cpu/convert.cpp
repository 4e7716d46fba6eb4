// Widening of F16 / BF16 weights to F32: F16 with the conversion instructions (arch/x86/),
// BF16 as a 16-bit shift that GCC vectorises per ISA clone.
#include "backend/cpu/convert.h"

#include <cstring>

#include "backend/cpu/arch/x86/convert_x86.h"
#include "backend/cpu/kernels.h"
#include "core/thread_pool.h"

namespace ad::cpu {

namespace {

void f16_to_f32_scalar(const uint16_t* src, float* dst, int64_t count) {
  for (int64_t i = 0; i < count; ++i) dst[i] = f16_to_f32(src[i]);
}

using ConvertFn = void (*)(const uint16_t*, float*, int64_t);

ConvertFn pick_f16_to_f32() {
#if defined(__x86_64__) && defined(__GNUC__)
  if (x86::has_f16_kernels()) {
    if (__builtin_cpu_supports("avx512f")) return x86::f16_to_f32_avx512;
    if (__builtin_cpu_supports("f16c") && __builtin_cpu_supports("avx")) return x86::f16_to_f32_f16c;
  }
#endif
  return f16_to_f32_scalar;
}

}  // namespace

void f16_to_f32_n(const uint16_t* src, float* dst, int64_t count) {
  static const ConvertFn fn = pick_f16_to_f32();
  fn(src, dst, count);
}

// A shift per element: GCC vectorises it for each clone, picked at load time from CPUID.
AD_KERNEL void bf16_to_f32_n(const uint16_t* src, float* dst, int64_t count) {
  for (int64_t i = 0; i < count; ++i) {
    const uint32_t bits = static_cast<uint32_t>(src[i]) << 16;
    std::memcpy(dst + i, &bits, sizeof(float));
  }
}

Tensor as_dense_f32(const Tensor& t) {
  if (t.dtype() == DType::F32) return t.contiguous();
  if ((t.dtype() == DType::F16 || t.dtype() == DType::BF16) && t.is_contiguous()) {
    Tensor out = Tensor::empty(t.shape(), DType::F32);
    const auto* src = static_cast<const uint16_t*>(t.raw_data());
    float* dst = out.data<float>();
    const bool half = t.dtype() == DType::F16;
    ThreadPool::parallel_for(t.numel(), 1 << 16, [&](int64_t begin, int64_t end) {
      if (half) f16_to_f32_n(src + begin, dst + begin, end - begin);
      else bf16_to_f32_n(src + begin, dst + begin, end - begin);
    });
    return out;
  }
  return t.to(DType::F32).contiguous();
}

}  // namespace ad::cpu

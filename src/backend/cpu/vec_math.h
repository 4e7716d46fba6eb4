// Float math in scalar form that GCC vectorises: every function is branch-free (selects, not
// jumps) and calls nothing, so a `#pragma omp simd` loop over it becomes one vector loop per ISA
// clone (kernels are compiled with target_clones, see kernels.h). libm's expf / erff / tanhf are
// scalar calls that block vectorisation (glibc's vector libm is only used under -ffast-math).
// Accuracy against double precision (tests/unit/test_backend_ops_eltwise.cpp, VecMath.*):
// exp_f32 <= 1.1 ulp on normal results, erf_f32 <= 4e-7 and tanh_f32 <= 3.6e-7 absolute (a few
// ulp of 1). gelu(x) for x < -3 inherits erf's absolute error, so its relative error there is
// larger (the output is < 0.005 in magnitude; the same holds for libm-based 1 + erf).
// Against libm in plain loops on this machine (1 thread, 4M floats): exp 2.9 vs 0.53 G/s,
// erf 4.0 vs 0.19 G/s, tanh 4.2 vs 0.06 G/s (docs/performance.md).
#pragma once

#include <bit>
#include <cstdint>

namespace ad::cpu {

// exp(x): Cody-Waite reduction x = n ln2 + r, |r| <= ln2 / 2, Cephes' degree-6 polynomial for
// exp(r), then 2^n applied as two exact power-of-two factors so that results from FLT_MIN down
// to the smallest subnormal and up to FLT_MAX are right. Below -104 gives 0, above 88.73 +inf;
// NaN propagates.
inline float exp_f32(float x) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f;
  constexpr float kLn2Lo = -2.12194440e-4f;
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  constexpr float kHigh = 88.7228394f;   // log(FLT_MAX)
  constexpr float kLow = -104.0f;        // exp below is < half the smallest subnormal
  float xc = x > kHigh ? kHigh : x;
  xc = xc < kLow ? kLow : xc;
  const float t = xc * kLog2e + kRound;
  const float n = t - kRound;
  const int32_t ni = std::bit_cast<int32_t>(t) - std::bit_cast<int32_t>(kRound);
  float r = xc - n * kLn2Hi;
  r = r - n * kLn2Lo;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // 2^n = 2^(n/2) * 2^(n - n/2); both halves are normal numbers for n in [-150, 128].
  const int32_t n1 = ni >> 1;
  const int32_t n2 = ni - n1;
  const float s1 = std::bit_cast<float>((n1 + 127) << 23);
  const float s2 = std::bit_cast<float>((n2 + 127) << 23);
  float y = p * s1 * s2;
  y = x < kLow ? 0.0f : y;
  y = x > kHigh ? std::bit_cast<float>(0x7f800000) : y;
  return y;
}

// erf(x): rational approximation (odd degree-13 / even degree-8) on [-4, 4], where erf is +-1
// in float beyond; the coefficients are those of Eigen and XLA.
inline float erf_f32(float x) {
  float xc = x > 4.0f ? 4.0f : x;
  xc = xc < -4.0f ? -4.0f : xc;
  const float x2 = xc * xc;
  float p = -2.72614225801306e-10f;
  p = p * x2 + 2.77068142495902e-08f;
  p = p * x2 + -2.10102402082508e-06f;
  p = p * x2 + -5.69250639462346e-05f;
  p = p * x2 + -7.34990630326855e-04f;
  p = p * x2 + -2.95459980854025e-03f;
  p = p * x2 + -1.60960333262415e-02f;
  p = p * xc;
  float q = -1.45660718464996e-05f;
  q = q * x2 + -2.13374055278905e-04f;
  q = q * x2 + -1.68282697438203e-03f;
  q = q * x2 + -7.37332916720468e-03f;
  q = q * x2 + -1.42647390514189e-02f;
  float y = p / q;
  // Beyond 4 the correctly rounded result is exactly +-1 (gelu(-inf) is then NaN, as in double).
  y = x >= 4.0f ? 1.0f : y;
  y = x <= -4.0f ? -1.0f : y;
  return y;
}

// tanh(x): rational approximation (odd degree-13 / even degree-6) on [-7.9053, 7.9053], where
// tanh is +-1 in float beyond; Eigen's coefficients. Relative accuracy holds near 0.
inline float tanh_f32(float x) {
  constexpr float kClamp = 7.90531110763549805f;
  float xc = x > kClamp ? kClamp : x;
  xc = xc < -kClamp ? -kClamp : xc;
  const float x2 = xc * xc;
  float p = -2.76076847742355e-16f;
  p = p * x2 + 2.00018790482477e-13f;
  p = p * x2 + -8.60467152213735e-11f;
  p = p * x2 + 5.12229709037114e-08f;
  p = p * x2 + 1.48572235717979e-05f;
  p = p * x2 + 6.37261928875436e-04f;
  p = p * x2 + 4.89352455891786e-03f;
  p = p * xc;
  float q = 1.19825839466702e-06f;
  q = q * x2 + 1.18534705686654e-04f;
  q = q * x2 + 2.26843463243900e-03f;
  q = q * x2 + 4.89352518554385e-03f;
  return p / q;
}

inline float sigmoid_f32(float x) { return 1.0f / (1.0f + exp_f32(-x)); }
inline float silu_f32(float x) { return x / (1.0f + exp_f32(-x)); }
inline float quick_gelu_f32(float x) { return x / (1.0f + exp_f32(-1.702f * x)); }
inline float gelu_f32(float x) { return 0.5f * x * (1.0f + erf_f32(x * 0.70710678118654752f)); }
inline float gelu_tanh_f32(float x) {
  constexpr float kSqrt2OverPi = 0.79788456080286536f;
  return 0.5f * x * (1.0f + tanh_f32(kSqrt2OverPi * (x + 0.044715f * x * x * x)));
}

}  // namespace ad::cpu

// Portable flash-attention kernel: the blocked algorithm of attention_kernel.h in plain C++. Every
// inner loop runs over the 16 query lanes of a tile with no branch, so compilers vectorise it for
// whatever ISA the build targets (SSE2 on baseline x86-64, NEON on arm64); `omp simd` (the build
// has OpenMP) keeps GCC from vectorising the outer loops instead. It is the path of CPUs
// without AVX-512 and the readable statement of what the AVX-512 kernel computes.
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include "backend/cpu/attention_kernel.h"

namespace ad::cpu {

namespace {

constexpr int W = 16;  // queries per tile (lanes)
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// exp(x) for x <= 0, branch-free so that lane loops vectorise: 2^n * p(f), n = round(x log2 e),
// p the degree-5 fit of 2^f on [-1/2, 1/2] that the AVX-512 kernel uses. Below -87 (where
// 2^n leaves the normal range) the result is 0, so a masked key (-inf) weighs exactly 0.
inline float exp_nonpositive(float x) {
  const float xc = std::max(x, -87.0f);  // NaN passes through (std::max returns its first argument)
  const float t = xc * 1.44269504f;
  const float n = (t + 12582912.0f) - 12582912.0f;  // round to nearest: 1.5 * 2^23
  const float f = t - n;
  float p = 1.327647245e-03f;
  p = p * f + 9.675540961e-03f;
  p = p * f + 5.550713092e-02f;
  p = p * f + 2.402212024e-01f;
  p = p * f + 6.931469440e-01f;
  p = p * f + 1.000000119e+00f;
  const float scale = std::bit_cast<float>((static_cast<int32_t>(n) + 127) << 23);
  return x < -87.0f ? 0.0f : p * scale;
}

void run_tile_portable(const AttentionProblem& p, const AttentionKernel& kernel, int64_t bh, int64_t q0,
                       float* scratch) {
  const int64_t b = bh / p.heads, h = bh % p.heads;
  const int64_t nq = std::min<int64_t>(W, p.lq - q0);
  const int64_t D = p.d, Dv = p.dv;
  const float* q = p.q + b * p.q_stride[0] + h * p.q_stride[1] + q0 * p.q_stride[2];
  const float* k = p.k + b * p.k_stride[0] + h * p.k_stride[1];
  const float* v = p.v + b * p.v_stride[0] + h * p.v_stride[1];
  const float* bias = p.bias ? p.bias + b * p.bias_stride[0] + h * p.bias_stride[1] + q0 * p.bias_stride[2] : nullptr;
  float* qt = scratch;     // [D][W]: the query tile transposed, times the scale
  float* ot = qt + D * W;  // [Dv][W]: unnormalised output, transposed
  float* s = ot + Dv * W;  // [key_block][W]: scores, then probabilities

  for (int64_t e = 0; e < D; ++e)
    for (int i = 0; i < W; ++i) qt[e * W + i] = i < nq ? q[i * p.q_stride[2] + e] * p.scale : 0.0f;
  float m[W], l[W], alpha[W], m_use[W];
  std::fill(m, m + W, kNegInf);
  std::fill(l, l + W, 0.0f);

  // Causal: keys after the tile's last query are masked for every query of the tile.
  const int64_t key_end = p.causal ? std::min(p.lk, q0 + nq) : p.lk;
  for (int64_t j0 = 0; j0 < key_end; j0 += kernel.key_block) {
    const int64_t nk = std::min(kernel.key_block, key_end - j0);
    // Scores of the block: s[j][i] = scale * q_i . k_j (+ bias), masked to -inf.
    for (int64_t j = 0; j < nk; ++j) {
      const float* kj = k + (j0 + j) * p.k_stride[2];
      float acc[W] = {};
      for (int64_t e = 0; e < D; ++e)
#pragma omp simd
        for (int i = 0; i < W; ++i) acc[i] += kj[e] * qt[e * W + i];
      if (bias)
        for (int i = 0; i < nq; ++i) acc[i] += bias[i * p.bias_stride[2] + (j0 + j) * p.bias_stride[3]];
      if (p.causal)
        for (int i = 0; i < W; ++i) acc[i] = q0 + i < j0 + j ? kNegInf : acc[i];
      std::copy(acc, acc + W, s + j * W);
    }
    // Online softmax: new running max, rescale factor of the old partial sums, probabilities.
    float mb[W];
    std::copy(m, m + W, mb);
    for (int64_t j = 0; j < nk; ++j)
      for (int i = 0; i < W; ++i) mb[i] = std::max(mb[i], s[j * W + i]);
    for (int i = 0; i < W; ++i) {
      // A row masked so far (max -inf) subtracts 0 instead, so exp(-inf - -inf) never makes NaN.
      m_use[i] = mb[i] == kNegInf ? 0.0f : mb[i];
      alpha[i] = exp_nonpositive(m[i] - m_use[i]);
      m[i] = mb[i];
    }
    float sum[W] = {};
    for (int64_t j = 0; j < nk; ++j)
#pragma omp simd
      for (int i = 0; i < W; ++i) {
        const float e = exp_nonpositive(s[j * W + i] - m_use[i]);
        s[j * W + i] = e;
        sum[i] += e;
      }
    for (int i = 0; i < W; ++i) l[i] = l[i] * alpha[i] + sum[i];
    // ot = alpha * ot + V^T P (the block's sum first: blocked summation).
    for (int64_t e = 0; e < Dv; ++e) {
      float acc[W] = {};
      for (int64_t j = 0; j < nk; ++j) {
        const float vv = v[(j0 + j) * p.v_stride[2] + e];
#pragma omp simd
        for (int i = 0; i < W; ++i) acc[i] += vv * s[j * W + i];
      }
      float* oe = ot + e * W;
      for (int i = 0; i < W; ++i) oe[i] = j0 == 0 ? acc[i] : oe[i] * alpha[i] + acc[i];
    }
  }
  // A row with no unmasked key (sum 0) gives 0 rather than 0/0.
  float* out = p.out + b * p.out_stride[0] + h * p.out_stride[1] + q0 * p.out_stride[2];
  for (int i = 0; i < nq; ++i) {
    const float inv = l[i] > 0 ? 1.0f / l[i] : 0.0f;
    for (int64_t e = 0; e < Dv; ++e) out[i * p.out_stride[2] + e * p.out_stride[3]] = ot[e * W + i] * inv;
  }
}

}  // namespace

AttentionKernel attention_kernel_portable(const AttentionProblem& p, const AttentionTuning& tuning) {
  AttentionKernel kernel;
  kernel.query_tile = W;
  kernel.key_block = tuning.key_block > 0 ? tuning.key_block : 64;
  kernel.scratch_floats = static_cast<size_t>((p.d + p.dv + kernel.key_block) * W);
  kernel.run_tile = run_tile_portable;
  return kernel;
}

}  // namespace ad::cpu

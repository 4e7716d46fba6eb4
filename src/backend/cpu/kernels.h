// Row kernels of the CPU backend: F32 loops over contiguous rows that GCC vectorises, one clone
// per ISA level chosen at load time from CPUID (AD_KERNEL: x86-64-v4 = AVX-512, x86-64-v3 =
// AVX2 + FMA, and the baseline). The op code (elementwise_ops.cpp, norm_ops.cpp, group_norm.cpp)
// handles strides, broadcasting and threading and calls these on unit-stride rows.
// Names: dtype, op, operand form (`vv`: two vectors, `vs`: vector and scalar, `sv`).
#pragma once

#include <cstdint>

#include "backend/op_params.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define AD_KERNEL __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define AD_KERNEL
#endif

namespace ad::cpu {

// y[i] = op(x[i]); x may equal y.
using UnaryRowFn = void (*)(const float* x, float* y, int64_t n, const UnaryParams& params);
UnaryRowFn f32_unary_row(UnaryOp op);

// How the two inputs of a binary row are read: both with unit stride, or one as a single value.
enum class BinaryForm : uint8_t { VectorVector, VectorScalar, ScalarVector };
// y[i] = a[i] op b[i] (or a[0] / b[0] for the scalar side); y may equal a or b.
using BinaryRowFn = void (*)(const float* a, const float* b, float* y, int64_t n);
BinaryRowFn f32_binary_row(BinaryOp op, BinaryForm form);

// y[i] = a[i] * gelu(g[i]) (exact GELU).
void f32_geglu_row(const float* a, const float* g, float* y, int64_t n);

// Softmax of one row.
void f32_softmax_row(const float* x, float* y, int64_t n);
// (x - mean) / sqrt(var + eps) * w + b over one row; w, b may be null. rms: no mean subtracted.
void f32_layer_norm_row(const float* x, const float* w, const float* b, float eps, float* y, int64_t n);
void f32_rms_norm_row(const float* x, const float* w, float eps, float* y, int64_t n);

// Statistics of a set of values: count, mean and sum of squared deviations (M2), combined with
// Chan's formula in double so that chunks computed in float add up without losing precision.
struct Moments {
  double count = 0, mean = 0, m2 = 0;
  void combine(double count_b, double mean_b, double m2_b);
  void combine(const Moments& other) { combine(other.count, other.mean, other.m2); }
  double variance() const { return count > 0 ? m2 / count : 0.0; }
};
// Moments of x[0, n), two passes in float over chunks that stay in cache.
Moments f32_moments(const float* x, int64_t n);
// Per-channel moments of an [rows, C] block (channels contiguous), added into `moments` [C];
// `scratch` holds 3 * C floats.
void f32_channel_moments(const float* x, int64_t rows, int64_t C, int64_t row_stride, Moments* moments,
                         float* scratch);

// y[i] = (x[i] - mean) * scale + shift, then SiLU when silu (group norm's last pass, one channel).
// With mean the float nearest the true mean, x - mean is exact for x near it; the caller folds
// the rest of the mean into shift (shift - (true mean - mean) * scale).
void f32_norm_affine_row(const float* x, float mean, float scale, float shift, bool silu, float* y, int64_t n);
// Channels-last form, per-channel mean / scale / shift [C]: y[r, c] for r in [0, rows).
void f32_norm_affine_channels(const float* x, int64_t x_row_stride, const float* mean, const float* scale,
                              const float* shift, bool silu, float* y, int64_t y_row_stride, int64_t rows, int64_t C);

}  // namespace ad::cpu

// Row kernels of the normalisations and softmax. Sums run in float vector lanes (`omp simd
// reduction`) over chunks that stay in cache, and chunks are combined in double (Moments), so a
// 40,000-element group is as accurate as a 4,096-element one.
#include <algorithm>
#include <cmath>

#include "backend/cpu/kernels.h"
#include "backend/cpu/vec_math.h"

namespace ad::cpu {

namespace {

constexpr int64_t kChunk = 4096;  // floats per float-accumulated chunk (16 KiB, in L1)

// Sum of x[i] - shift: with the shift near the values, the float sum of small differences keeps
// the digits a plain sum of large values (a mean of 100 with a spread of 1) would round away.
AD_KERNEL float f32_sum_shifted(const float* x, int64_t n, float shift) {
  float s = 0.0f;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < n; ++i) s += x[i] - shift;
  return s;
}

AD_KERNEL float f32_sum_sq_dev(const float* x, int64_t n, float mean) {
  float s = 0.0f;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < n; ++i) {
    const float d = x[i] - mean;
    s += d * d;
  }
  return s;
}

AD_KERNEL float f32_sum_sq(const float* x, int64_t n) {
  float s = 0.0f;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < n; ++i) s += x[i] * x[i];
  return s;
}

// y = (x - mean) * inv * w + b with mean = mean_hi + mean_lo (two floats): x - mean_hi is exact
// for x near the mean, so the result does not carry the mean's float rounding.
AD_KERNEL void f32_normalize(const float* x, float mean_hi, float mean_lo, float inv, const float* w, const float* b,
                             float* y, int64_t n) {
  // Separate loops per optional operand keep each one a plain vector loop.
  if (w && b) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) y[i] = ((x[i] - mean_hi) - mean_lo) * inv * w[i] + b[i];
  } else if (w) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) y[i] = ((x[i] - mean_hi) - mean_lo) * inv * w[i];
  } else if (b) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) y[i] = ((x[i] - mean_hi) - mean_lo) * inv + b[i];
  } else {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) y[i] = ((x[i] - mean_hi) - mean_lo) * inv;
  }
}

// Chunk moments from a double mean and the float M2 around its float rounding mean_f:
// M2 about the true mean is M2(mean_f) - count * (mean - mean_f)^2.
void combine_chunk(Moments& m, double count, double mean, float mean_f, float m2_f) {
  const double d = mean - static_cast<double>(mean_f);
  m.combine(count, mean, std::max(0.0, static_cast<double>(m2_f) - count * d * d));
}

}  // namespace

void Moments::combine(double count_b, double mean_b, double m2_b) {
  if (count_b <= 0) return;
  const double total = count + count_b;
  const double delta = mean_b - mean;
  mean += delta * count_b / total;
  m2 += m2_b + delta * delta * count * count_b / total;
  count = total;
}

Moments f32_moments(const float* x, int64_t n) {
  Moments m;
  for (int64_t start = 0; start < n; start += kChunk) {
    const int64_t len = std::min(kChunk, n - start);
    const float shift = x[start];
    const double mean = shift + static_cast<double>(f32_sum_shifted(x + start, len, shift)) / static_cast<double>(len);
    const auto mean_f = static_cast<float>(mean);
    combine_chunk(m, static_cast<double>(len), mean, mean_f, f32_sum_sq_dev(x + start, len, mean_f));
  }
  return m;
}

AD_KERNEL void f32_channel_moments(const float* x, int64_t rows, int64_t C, int64_t row_stride, Moments* moments,
                                   float* scratch) {
  if (rows <= 0) return;
  float* sum = scratch;  // sums of x - (first row)
  float* mean_f = scratch + C;
  float* m2 = scratch + 2 * C;
  for (int64_t c = 0; c < C; ++c) sum[c] = m2[c] = 0.0f;
  for (int64_t r = 1; r < rows; ++r) {
    const float* px = x + r * row_stride;
#pragma omp simd
    for (int64_t c = 0; c < C; ++c) sum[c] += px[c] - x[c];
  }
  const float inv_rows = 1.0f / static_cast<float>(rows);
#pragma omp simd
  for (int64_t c = 0; c < C; ++c) mean_f[c] = x[c] + sum[c] * inv_rows;
  for (int64_t r = 0; r < rows; ++r) {
    const float* px = x + r * row_stride;
#pragma omp simd
    for (int64_t c = 0; c < C; ++c) {
      const float d = px[c] - mean_f[c];
      m2[c] += d * d;
    }
  }
  for (int64_t c = 0; c < C; ++c) {
    const double mean = static_cast<double>(x[c]) + static_cast<double>(sum[c]) / static_cast<double>(rows);
    combine_chunk(moments[c], static_cast<double>(rows), mean, mean_f[c], m2[c]);
  }
}

AD_KERNEL void f32_softmax_row(const float* x, float* y, int64_t n) {
  float m = -INFINITY;
#pragma omp simd reduction(max : m)
  for (int64_t i = 0; i < n; ++i) m = x[i] > m ? x[i] : m;
  // The sum in double: a float sum of a long row (20000 keys) drifts by ~sqrt(n) ulp when the
  // compiler does not split it into vector lanes (e.g. at -O2).
  double sum = 0.0;
#pragma omp simd reduction(+ : sum)
  for (int64_t i = 0; i < n; ++i) {
    const float e = exp_f32(x[i] - m);
    y[i] = e;
    sum += static_cast<double>(e);
  }
  const auto inv = static_cast<float>(1.0 / sum);
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) y[i] *= inv;
}

void f32_layer_norm_row(const float* x, const float* w, const float* b, float eps, float* y, int64_t n) {
  const Moments m = f32_moments(x, n);
  const float inv = static_cast<float>(1.0 / std::sqrt(m.variance() + eps));
  const auto mean_hi = static_cast<float>(m.mean);
  f32_normalize(x, mean_hi, static_cast<float>(m.mean - mean_hi), inv, w, b, y, n);
}

void f32_rms_norm_row(const float* x, const float* w, float eps, float* y, int64_t n) {
  double sum_sq = 0;
  for (int64_t start = 0; start < n; start += kChunk) sum_sq += f32_sum_sq(x + start, std::min(kChunk, n - start));
  const float inv = static_cast<float>(1.0 / std::sqrt(sum_sq / static_cast<double>(n) + eps));
  f32_normalize(x, 0.0f, 0.0f, inv, w, nullptr, y, n);
}

AD_KERNEL void f32_norm_affine_row(const float* x, float mean, float scale, float shift, bool silu, float* y,
                                   int64_t n) {
  if (silu) {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) y[i] = silu_f32((x[i] - mean) * scale + shift);
  } else {
#pragma omp simd
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - mean) * scale + shift;
  }
}

AD_KERNEL void f32_norm_affine_channels(const float* x, int64_t x_row_stride, const float* mean, const float* scale,
                                        const float* shift, bool silu, float* y, int64_t y_row_stride, int64_t rows,
                                        int64_t C) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* px = x + r * x_row_stride;
    float* py = y + r * y_row_stride;
    if (silu) {
#pragma omp simd
      for (int64_t c = 0; c < C; ++c) py[c] = silu_f32((px[c] - mean[c]) * scale[c] + shift[c]);
    } else {
#pragma omp simd
      for (int64_t c = 0; c < C; ++c) py[c] = (px[c] - mean[c]) * scale[c] + shift[c];
    }
  }
}

}  // namespace ad::cpu

// Element-wise row kernels (unary, binary, GEGLU). Each loop is a `#pragma omp simd` loop over
// vec_math.h functions, so every AD_KERNEL clone is one vector loop for its ISA.
#include "backend/cpu/kernels.h"

#include <cmath>

#include "backend/cpu/vec_math.h"

namespace ad::cpu {

namespace {

template <UnaryOp op>
inline float unary_value(float x, float scale, float shift, float low, float high) {
  if constexpr (op == UnaryOp::Identity) return x;
  else if constexpr (op == UnaryOp::Silu) return silu_f32(x);
  else if constexpr (op == UnaryOp::Gelu) return gelu_f32(x);
  else if constexpr (op == UnaryOp::GeluTanh) return gelu_tanh_f32(x);
  else if constexpr (op == UnaryOp::QuickGelu) return quick_gelu_f32(x);
  else if constexpr (op == UnaryOp::Sigmoid) return sigmoid_f32(x);
  else if constexpr (op == UnaryOp::Exp) return exp_f32(x);
  else if constexpr (op == UnaryOp::Tanh) return tanh_f32(x);
  // One rounding, as the reference's double computation: without FMA contraction (e.g. at -O1)
  // x * scale + shift rounds twice and is off by an ulp.
  else if constexpr (op == UnaryOp::Affine) return std::fma(x, scale, shift);
  else {
    // Clamp as max then min (like the reference); NaN passes through.
    const float lo = x < low ? low : x;
    return lo > high ? high : lo;
  }
}

template <UnaryOp op>
AD_KERNEL void f32_unary(const float* x, float* y, int64_t n, const UnaryParams& params) {
  const float scale = params.scale, shift = params.shift, low = params.low, high = params.high;
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) y[i] = unary_value<op>(x[i], scale, shift, low, high);
}

template <BinaryOp op>
inline float binary_value(float a, float b) {
  if constexpr (op == BinaryOp::Add) return a + b;
  else if constexpr (op == BinaryOp::Sub) return a - b;
  else if constexpr (op == BinaryOp::Mul) return a * b;
  else return a / b;
}

template <BinaryOp op>
AD_KERNEL void f32_binary_vv(const float* a, const float* b, float* y, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) y[i] = binary_value<op>(a[i], b[i]);
}

template <BinaryOp op>
AD_KERNEL void f32_binary_vs(const float* a, const float* b, float* y, int64_t n) {
  const float s = *b;
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) y[i] = binary_value<op>(a[i], s);
}

template <BinaryOp op>
AD_KERNEL void f32_binary_sv(const float* a, const float* b, float* y, int64_t n) {
  const float s = *a;
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) y[i] = binary_value<op>(s, b[i]);
}

template <BinaryOp op>
BinaryRowFn binary_row_for(BinaryForm form) {
  switch (form) {
    case BinaryForm::VectorVector: return f32_binary_vv<op>;
    case BinaryForm::VectorScalar: return f32_binary_vs<op>;
    case BinaryForm::ScalarVector: return f32_binary_sv<op>;
  }
  return f32_binary_vv<op>;
}

}  // namespace

UnaryRowFn f32_unary_row(UnaryOp op) {
  switch (op) {
    case UnaryOp::Identity: return f32_unary<UnaryOp::Identity>;
    case UnaryOp::Silu: return f32_unary<UnaryOp::Silu>;
    case UnaryOp::Gelu: return f32_unary<UnaryOp::Gelu>;
    case UnaryOp::GeluTanh: return f32_unary<UnaryOp::GeluTanh>;
    case UnaryOp::QuickGelu: return f32_unary<UnaryOp::QuickGelu>;
    case UnaryOp::Sigmoid: return f32_unary<UnaryOp::Sigmoid>;
    case UnaryOp::Exp: return f32_unary<UnaryOp::Exp>;
    case UnaryOp::Tanh: return f32_unary<UnaryOp::Tanh>;
    case UnaryOp::Affine: return f32_unary<UnaryOp::Affine>;
    case UnaryOp::Clamp: return f32_unary<UnaryOp::Clamp>;
  }
  return f32_unary<UnaryOp::Identity>;
}

BinaryRowFn f32_binary_row(BinaryOp op, BinaryForm form) {
  switch (op) {
    case BinaryOp::Add: return binary_row_for<BinaryOp::Add>(form);
    case BinaryOp::Sub: return binary_row_for<BinaryOp::Sub>(form);
    case BinaryOp::Mul: return binary_row_for<BinaryOp::Mul>(form);
    case BinaryOp::Div: return binary_row_for<BinaryOp::Div>(form);
  }
  return binary_row_for<BinaryOp::Add>(form);
}

AD_KERNEL void f32_geglu_row(const float* a, const float* g, float* y, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; ++i) y[i] = a[i] * gelu_f32(g[i]);
}

}  // namespace ad::cpu

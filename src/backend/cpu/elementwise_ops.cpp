// Element-wise ops of the CPU backend (binary with broadcasting, unary, GEGLU): a LoopPlan puts
// the operands in the output's memory order, then each row runs the vector kernel directly
// when its operands have unit stride (or one is a broadcast scalar) and through small gather /
// scatter buffers otherwise, so every stride pattern uses the same vector code.
#include <algorithm>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/kernels.h"
#include "backend/cpu/loop_plan.h"

namespace ad::cpu {

namespace {

constexpr int64_t kBuffer = 512;  // floats per gather buffer (on the stack)

// The form of a row whose output has unit stride, if a kernel reads the inputs in place.
bool direct_form(int64_t stride_a, int64_t stride_b, BinaryForm& form) {
  if (stride_a == 1 && stride_b == 1) form = BinaryForm::VectorVector;
  else if (stride_a == 1 && stride_b == 0) form = BinaryForm::VectorScalar;
  else if (stride_a == 0 && stride_b == 1) form = BinaryForm::ScalarVector;
  else return false;
  return true;
}

void gather(const float* src, int64_t stride, int64_t n, float* dst) {
  for (int64_t i = 0; i < n; ++i) dst[i] = src[i * stride];
}

void scatter(const float* src, int64_t n, float* dst, int64_t stride) {
  for (int64_t i = 0; i < n; ++i) dst[i * stride] = src[i];
}

// out = fn(a, b) element-wise; `fns` holds the kernel for each BinaryForm (null: use buffers).
void run_binary(const std::array<BinaryRowFn, 3>& fns, const Tensor& a, const Tensor& b, Tensor& out) {
  const LoopPlan plan = plan_loop({&out, &a, &b});
  const int64_t so = plan.inner_stride(0), sa = plan.inner_stride(1), sb = plan.inner_stride(2);
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  float* po = out.data<float>();
  BinaryForm form = BinaryForm::VectorVector;
  const bool direct = so == 1 && direct_form(sa, sb, form) && fns[static_cast<size_t>(form)] != nullptr;
  parallel_rows(plan, [&](const RowCursor& c, int64_t start, int64_t n) {
    const float* ra = pa + c.offset(1) + start * sa;
    const float* rb = pb + c.offset(2) + start * sb;
    float* ro = po + c.offset(0) + start * so;
    if (direct) {
      fns[static_cast<size_t>(form)](ra, rb, ro, n);
      return;
    }
    float buffer_a[kBuffer], buffer_b[kBuffer], buffer_o[kBuffer];
    for (int64_t i = 0; i < n; i += kBuffer) {
      const int64_t m = std::min(kBuffer, n - i);
      gather(ra + i * sa, sa, m, buffer_a);
      gather(rb + i * sb, sb, m, buffer_b);
      fns[0](buffer_a, buffer_b, so == 1 ? ro + i : buffer_o, m);
      if (so != 1) scatter(buffer_o, m, ro + i * so, so);
    }
  });
}

}  // namespace

// Declines (reference): an output with a stride-0 dimension, whose elements alias each other.
void CpuBackend::binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) {
  if (out.numel() == 0) return;
  if (has_broadcast_dim(out)) {
    reference_backend().binary(op, a, b, out);
    return;
  }
  run_binary({f32_binary_row(op, BinaryForm::VectorVector), f32_binary_row(op, BinaryForm::VectorScalar),
              f32_binary_row(op, BinaryForm::ScalarVector)},
             a, b, out);
}

void CpuBackend::geglu(const Tensor& x, Tensor& out) {
  if (out.numel() == 0) return;
  if (has_broadcast_dim(out)) {
    reference_backend().geglu(x, out);
    return;
  }
  const int64_t n = out.dim(-1);
  const Tensor value = x.slice(-1, 0, n);     // [..., n], out's shape
  const Tensor gate = x.slice(-1, n, 2 * n);  // [..., n]
  run_binary({f32_geglu_row, nullptr, nullptr}, value, gate, out);
}

void CpuBackend::unary(UnaryOp op, const UnaryParams& params, const Tensor& x, Tensor& out) {
  if (out.numel() == 0) return;
  if (has_broadcast_dim(out)) {
    reference_backend().unary(op, params, x, out);
    return;
  }
  const UnaryRowFn fn = f32_unary_row(op);
  const LoopPlan plan = plan_loop({&out, &x});
  const int64_t so = plan.inner_stride(0), sx = plan.inner_stride(1);
  const float* px = x.data<float>();
  float* po = out.data<float>();
  parallel_rows(plan, [&](const RowCursor& c, int64_t start, int64_t n) {
    const float* rx = px + c.offset(1) + start * sx;
    float* ro = po + c.offset(0) + start * so;
    if (so == 1 && sx == 1) {
      fn(rx, ro, n, params);
      return;
    }
    float buffer[kBuffer];
    for (int64_t i = 0; i < n; i += kBuffer) {
      const int64_t m = std::min(kBuffer, n - i);
      gather(rx + i * sx, sx, m, buffer);
      fn(buffer, buffer, m, params);
      scatter(buffer, m, ro + i * so, so);
    }
  });
}

}  // namespace ad::cpu

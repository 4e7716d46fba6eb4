// Row-wise ops of the CPU backend over the last dimension: softmax, layer_norm, rms_norm. Rows
// are handed to the kernels with unit stride; inputs whose rows are not (a transposed view) are
// copied once, outputs that are not written through a temporary.
#include "backend/cpu/convert.h"
#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/kernels.h"
#include "core/thread_pool.h"

namespace ad::cpu {

namespace {

// [rows, n] view of a tensor with unit stride along n and one row stride (a copy if needed).
Tensor as_rows(const Tensor& t) {
  Tensor r = t.ndim() == 1 ? t.unsqueeze(0) : t.flatten(0, t.ndim() - 2);
  if (r.stride(1) != 1 && r.dim(1) > 1) r = r.contiguous();
  return r;
}

// Whether `out` can be written as rows in place: same [rows, n] view with unit inner stride.
bool rows_writable(const Tensor& out) {
  if (out.ndim() == 0) return false;
  const Tensor r = out.ndim() == 1 ? out.unsqueeze(0) : out.flatten(0, out.ndim() - 2);
  return r.storage() == out.storage() && r.offset() == out.offset() && (r.stride(1) == 1 || r.dim(1) == 1) &&
         (r.stride(0) >= r.dim(1) || r.dim(0) == 1);
}

// Runs body(x_row, out_row, n) on every row, writing out directly when its layout allows.
template <typename Body>
void for_each_row(const Tensor& x, Tensor& out, int64_t grain_elements, const Body& body) {
  const Tensor x2 = as_rows(x);
  Tensor target = rows_writable(out) ? out : Tensor::empty(out.shape());
  const Tensor o2 = target.ndim() == 1 ? target.unsqueeze(0) : target.flatten(0, target.ndim() - 2);
  const int64_t rows = x2.dim(0), n = x2.dim(1);
  const float* px = x2.data<float>();
  float* po = o2.data<float>();
  const int64_t sx = x2.stride(0), so = o2.stride(0);
  ThreadPool::parallel_for(rows, std::max<int64_t>(1, grain_elements / std::max<int64_t>(n, 1)),
                           [&](int64_t begin, int64_t end) {
                             for (int64_t r = begin; r < end; ++r) body(px + r * sx, po + r * so, n);
                           });
  if (target.raw_data() != out.raw_data()) out.copy_from(target);
}

const float* optional_data(const Tensor& t) { return t.defined() ? t.data<float>() : nullptr; }

}  // namespace

void CpuBackend::softmax(const Tensor& x, Tensor& out) {
  if (out.numel() == 0) return;
  for_each_row(x, out, 16384, [](const float* px, float* po, int64_t n) { f32_softmax_row(px, po, n); });
}

void CpuBackend::layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor& out) {
  if (out.numel() == 0) return;
  const Tensor w = weight.defined() ? as_dense_f32(weight) : Tensor();
  const Tensor b = bias.defined() ? as_dense_f32(bias) : Tensor();
  const float* pw = optional_data(w);
  const float* pb = optional_data(b);
  for_each_row(x, out, 16384,
               [&](const float* px, float* po, int64_t n) { f32_layer_norm_row(px, pw, pb, eps, po, n); });
}

void CpuBackend::rms_norm(const Tensor& x, const Tensor& weight, float eps, Tensor& out) {
  if (out.numel() == 0) return;
  const Tensor w = weight.defined() ? as_dense_f32(weight) : Tensor();
  const float* pw = optional_data(w);
  for_each_row(x, out, 16384, [&](const float* px, float* po, int64_t n) { f32_rms_norm_row(px, pw, eps, po, n); });
}

}  // namespace ad::cpu

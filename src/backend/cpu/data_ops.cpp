// Data-movement ops of the CPU backend: nearest upsampling (NCHW and channels-last) and the
// embedding lookup (F32 / F16 / BF16 tables).
#include <cstring>

#include "backend/cpu/convert.h"
#include "backend/cpu/cpu_backend.h"
#include "core/thread_pool.h"

namespace ad::cpu {

namespace {

bool is_nhwc_dense(const Tensor& t) {
  const int64_t C = t.dim(1), H = t.dim(2), W = t.dim(3);
  return t.stride(1) == 1 && t.stride(3) == C && t.stride(2) == W * C && (t.stride(0) == H * W * C || t.dim(0) == 1);
}

// out [N, C, H*s, W*s] from x [N, C, H, W], both contiguous NCHW: each output row is built once
// from its input row and copied to the s - 1 rows below it.
void f32_upsample_nearest_nchw(const float* x, float* y, int64_t planes, int64_t H, int64_t W, int64_t s) {
  const int64_t OW = W * s;
  ThreadPool::parallel_for(planes * H, std::max<int64_t>(1, 4096 / (OW * s)), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {  // r = plane * H + iy
      const float* in = x + r * W;
      float* out = y + r * s * OW;
      for (int64_t ix = 0; ix < W; ++ix)
        for (int64_t k = 0; k < s; ++k) out[ix * s + k] = in[ix];
      for (int64_t k = 1; k < s; ++k) std::memcpy(out + k * OW, out, static_cast<size_t>(OW) * sizeof(float));
    }
  });
}

// Channels-last: each input pixel's C values are copied to its s * s output pixels.
void f32_upsample_nearest_nhwc(const float* x, float* y, int64_t N, int64_t C, int64_t H, int64_t W, int64_t s) {
  const int64_t OW = W * s;
  const auto bytes = static_cast<size_t>(C) * sizeof(float);
  ThreadPool::parallel_for(N * H, std::max<int64_t>(1, 4096 / (OW * s * C)), [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {  // r = n * H + iy
      const float* in = x + r * W * C;
      float* out = y + r * s * OW * C;
      for (int64_t ix = 0; ix < W; ++ix)
        for (int64_t k = 0; k < s; ++k) std::memcpy(out + (ix * s + k) * C, in + ix * C, bytes);
      for (int64_t k = 1; k < s; ++k) std::memcpy(out + k * OW * C, out, bytes * static_cast<size_t>(OW));
    }
  });
}

}  // namespace

// Fast paths: x and out both contiguous NCHW or both dense channels-last; other layouts (a
// strided view in, an output format that differs from the input's) use the reference.
void CpuBackend::upsample_nearest(const Tensor& x, int scale, Tensor& out) {
  if (out.numel() == 0) return;
  const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  if (x.is_contiguous() && out.is_contiguous()) {
    f32_upsample_nearest_nchw(x.data<float>(), out.data<float>(), N * C, H, W, scale);
  } else if (is_nhwc_dense(x) && is_nhwc_dense(out)) {
    f32_upsample_nearest_nhwc(x.data<float>(), out.data<float>(), N, C, H, W, scale);
  } else {
    reference_backend().upsample_nearest(x, scale, out);
  }
}

// Fast path: table rows with unit stride and a contiguous output; F16 / BF16 rows are widened
// on the fly. A table with strided rows uses the reference.
void CpuBackend::embedding(const Tensor& ids, const Tensor& table, Tensor& out) {
  if (out.numel() == 0) return;
  const int64_t D = table.dim(1);
  if ((table.stride(1) != 1 && D > 1) || !out.is_contiguous() || !ids.is_contiguous()) {
    reference_backend().embedding(ids, table, out);
    return;
  }
  const int64_t* pid = ids.data<int64_t>();
  float* po = out.data<float>();
  const auto* base = static_cast<const std::byte*>(table.raw_data());
  const int64_t row_bytes = table.stride(0) * static_cast<int64_t>(dtype_size(table.dtype()));
  const DType dtype = table.dtype();
  ThreadPool::parallel_for(ids.numel(), std::max<int64_t>(1, 16384 / std::max<int64_t>(D, 1)),
                           [&](int64_t begin, int64_t end) {
                             for (int64_t i = begin; i < end; ++i) {
                               const std::byte* row = base + pid[i] * row_bytes;
                               float* dst = po + i * D;
                               if (dtype == DType::F32) std::memcpy(dst, row, static_cast<size_t>(D) * sizeof(float));
                               else if (dtype == DType::F16) f16_to_f32_n(reinterpret_cast<const uint16_t*>(row), dst, D);
                               else bf16_to_f32_n(reinterpret_cast<const uint16_t*>(row), dst, D);
                             }
                           });
}

}  // namespace ad::cpu

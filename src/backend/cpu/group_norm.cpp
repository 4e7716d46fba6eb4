// Group norm of the CPU backend for x [N, C, *spatial] in both memory formats:
//  - planar (NCHW, spatial dims merged into one contiguous S): a group is one contiguous range
//    of cpg * S values; one task per (sample, group) computes its moments and normalises it;
//  - channels-last (NHWC strides: channels contiguous, positions S apart by C): per-channel
//    moments over blocks of positions (in parallel, blocks combined in a fixed order, so the
//    result does not depend on the thread count), reduced per group, then one pass over the
//    positions applies the per-channel (x - mean) * scale + shift and the optional SiLU.
// Statistics: two passes in float over cache-sized chunks, chunks combined in double (Moments).
// Other layouts (a spatial part that does not merge, e.g. [B, C, F, H, W] from an NCHW
// [B*F, C, H, W]) are copied to NCHW first.
#include <cmath>
#include <vector>

#include "backend/cpu/convert.h"
#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/kernels.h"
#include "backend/cpu/loop_plan.h"
#include "core/thread_pool.h"

namespace ad::cpu {

namespace {

enum class Layout : uint8_t { Planar, ChannelsLast, Other };

// x as [N, C, S]: sizes and strides, with the spatial dimensions merged when they can be.
struct NcsView {
  Layout layout = Layout::Other;
  int64_t N = 0, C = 0, S = 1, stride_n = 0, stride_c = 0, stride_s = 1;
};

NcsView ncs_view(const Tensor& t) {
  NcsView v;
  v.N = t.dim(0);
  v.C = t.dim(1);
  v.stride_n = t.stride(0);
  v.stride_c = t.stride(1);
  bool merged = true;
  int64_t inner = -1;  // stride of the innermost spatial dimension of size > 1 so far
  for (int d = t.ndim() - 1; d >= 2; --d) {
    if (t.dim(d) == 1) continue;
    if (inner < 0) v.stride_s = t.stride(d);
    else if (t.stride(d) != inner) merged = false;
    inner = t.stride(d) * t.dim(d);
    v.S *= t.dim(d);
  }
  if (!merged) return v;
  if ((v.stride_s == 1 || v.S == 1) && (v.stride_c == v.S || v.C == 1)) v.layout = Layout::Planar;
  else if ((v.stride_c == 1 || v.C == 1) && (v.stride_s == v.C || v.S == 1)) v.layout = Layout::ChannelsLast;
  if (v.S == 1) v.stride_s = v.C;  // unused then; keeps the channels-last row stride meaningful
  return v;
}

struct Affine {
  const float* gamma;  // [C] or null (1)
  const float* beta;   // [C] or null (0)
  float eps;
  bool silu;
};

void group_norm_planar(const float* px, const NcsView& xv, float* po, const NcsView& ov, int groups, const Affine& a) {
  const int64_t cpg = xv.C / groups, S = xv.S;
  ThreadPool::parallel_for(xv.N * groups, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t n = t / groups, g = t % groups;
      const float* x = px + n * xv.stride_n + g * cpg * S;
      const Moments m = f32_moments(x, cpg * S);
      const double inv = 1.0 / std::sqrt(m.variance() + a.eps);
      const auto mean = static_cast<float>(m.mean);
      for (int64_t c = 0; c < cpg; ++c) {
        const int64_t ch = g * cpg + c;
        const double scale = inv * (a.gamma ? a.gamma[ch] : 1.0f);
        const double shift = (a.beta ? a.beta[ch] : 0.0f) - (m.mean - mean) * scale;
        f32_norm_affine_row(x + c * S, mean, static_cast<float>(scale), static_cast<float>(shift), a.silu,
                            po + n * ov.stride_n + ch * S, S);
      }
    }
  });
}

void group_norm_channels_last(const float* px, const NcsView& xv, float* po, const NcsView& ov, int groups,
                              const Affine& a) {
  const int64_t N = xv.N, C = xv.C, S = xv.S, cpg = C / groups;
  const int64_t block = std::max<int64_t>(1, 16384 / C);  // positions per block (<= 64 KiB)
  const int64_t blocks = (S + block - 1) / block;
  const int64_t chunks = std::min<int64_t>(blocks, 16);  // per sample; fixed: thread-count independent
  std::vector<Moments> partial(static_cast<size_t>(N * chunks * C));
  std::vector<float> scratch(static_cast<size_t>(N * chunks * 3 * C));
  const auto per_channel = static_cast<size_t>(N * C);
  std::vector<float> mean(per_channel), scale(per_channel), shift(per_channel);
  // One parallel region for the statistics of every sample, one for the normalisation: each
  // region costs a wake-up of the workers (more when other processes share the cores).
  ThreadPool::parallel_for(N * chunks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t n = task / chunks, k = task % chunks;
      const float* x = px + n * xv.stride_n;
      for (int64_t b = blocks * k / chunks; b < blocks * (k + 1) / chunks; ++b) {
        const int64_t p0 = b * block, rows = std::min(block, S - p0);
        f32_channel_moments(x + p0 * xv.stride_s, rows, C, xv.stride_s, &partial[static_cast<size_t>(task * C)],
                            &scratch[static_cast<size_t>(task * 3 * C)]);
      }
    }
  });
  for (int64_t n = 0; n < N; ++n)
    for (int64_t g = 0; g < groups; ++g) {
      Moments m;
      for (int64_t k = 0; k < chunks; ++k)
        for (int64_t c = g * cpg; c < (g + 1) * cpg; ++c) m.combine(partial[static_cast<size_t>((n * chunks + k) * C + c)]);
      const double inv = 1.0 / std::sqrt(m.variance() + a.eps);
      for (int64_t c = g * cpg; c < (g + 1) * cpg; ++c) {
        const auto i = static_cast<size_t>(n * C + c);
        const double channel_scale = inv * (a.gamma ? a.gamma[c] : 1.0f);
        mean[i] = static_cast<float>(m.mean);
        scale[i] = static_cast<float>(channel_scale);
        shift[i] = static_cast<float>((a.beta ? a.beta[c] : 0.0f) - (m.mean - mean[i]) * channel_scale);
      }
    }
  ThreadPool::parallel_for(N * blocks, 1, [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end;) {
      const int64_t n = task / blocks, b0 = task % blocks;
      const int64_t b1 = std::min(blocks, b0 + (end - task));  // blocks of this sample in the range
      const int64_t p0 = b0 * block, rows = std::min(b1 * block, S) - p0;
      const auto c0 = static_cast<size_t>(n * C);
      f32_norm_affine_channels(px + n * xv.stride_n + p0 * xv.stride_s, xv.stride_s, &mean[c0], &scale[c0],
                               &shift[c0], a.silu, po + n * ov.stride_n + p0 * ov.stride_s, ov.stride_s, rows, C);
      task += b1 - b0;
    }
  });
}

}  // namespace

void CpuBackend::group_norm(const Tensor& x, int groups, const Tensor& weight, const Tensor& bias, float eps, bool silu,
                            Tensor& out) {
  if (out.numel() == 0) return;
  Tensor xs = x;
  NcsView xv = ncs_view(xs);
  Tensor target = out;
  NcsView ov = ncs_view(target);
  if (xv.layout == Layout::Other) {
    xs = x.contiguous();
    xv = ncs_view(xs);
  }
  if (ov.layout != xv.layout || has_broadcast_dim(out)) {  // compute in x's layout, then copy into out
    std::vector<int> order{0};  // channels-last: N, spatial..., C
    for (int d = 2; d < xs.ndim(); ++d) order.push_back(d);
    order.push_back(1);
    target = xv.layout == Layout::Planar ? Tensor::empty(xs.shape())
                                         : Tensor::empty_strided(xs.shape(), dense_strides(xs.shape(), order));
    ov = ncs_view(target);
  }
  const Tensor w = weight.defined() ? as_dense_f32(weight) : Tensor();
  const Tensor b = bias.defined() ? as_dense_f32(bias) : Tensor();
  const Affine affine{w.defined() ? w.data<float>() : nullptr, b.defined() ? b.data<float>() : nullptr, eps, silu};
  if (xv.layout == Layout::Planar) group_norm_planar(xs.data<float>(), xv, target.data<float>(), ov, groups, affine);
  else group_norm_channels_last(xs.data<float>(), xv, target.data<float>(), ov, groups, affine);
  if (target.raw_data() != out.raw_data()) out.copy_from(target);
}

}  // namespace ad::cpu

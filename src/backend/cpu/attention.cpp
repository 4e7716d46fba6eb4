// Scaled-dot-product attention of the CPU backend: chooses a flash-attention kernel
// (attention_kernel.h) and drives it over (batch, head, query tile) tasks.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "backend/cpu/attention_kernel.h"
#include "backend/cpu/cpu_backend.h"
#include "core/thread_pool.h"

namespace ad::cpu {

namespace {

// Work a worker claims per atomic step; many tiny attentions (AnimateDiff's temporal attention:
// 16-frame sequences) are batched into one claim so the counter is not contended.
constexpr double kClaimFlops = 4e6;
// Below this much work a call runs on the calling thread (no OpenMP fork).
constexpr double kSerialFlops = 2e5;

bool debug_log_enabled() {
  static const bool enabled = [] {
    const char* value = std::getenv("AD_DEBUG");
    return value != nullptr && *value != '\0' && *value != '0';
  }();
  return enabled;
}

AttentionProblem make_problem(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& bias,
                              const AttentionOptions& options, Tensor& out) {
  AttentionProblem p;
  p.batch = q.dim(0);
  p.heads = q.dim(1);
  p.lq = q.dim(2);
  p.d = q.dim(3);
  p.lk = k.dim(2);
  p.dv = v.dim(3);
  p.q = q.data<float>();
  p.k = k.data<float>();
  p.v = v.data<float>();
  for (int i = 0; i < 3; ++i) {
    p.q_stride[i] = q.stride(i);
    p.k_stride[i] = k.stride(i);
    p.v_stride[i] = v.stride(i);
  }
  if (bias.defined()) {
    p.bias = bias.data<float>();
    for (int i = 0; i < 4; ++i) p.bias_stride[i] = bias.stride(i);
  }
  p.out = out.data<float>();
  for (int i = 0; i < 4; ++i) p.out_stride[i] = out.stride(i);
  p.scale = options.scale > 0 ? options.scale : static_cast<float>(1.0 / std::sqrt(static_cast<double>(p.d)));
  p.causal = options.causal;
  return p;
}

// Lk == 0: every query attends to nothing; the result is 0 (PyTorch's softmax-then-matmul
// gives an empty sum), where the reference's 0/0 would give NaN.
void fill_zero(const AttentionProblem& p) {
  for (int64_t b = 0; b < p.batch; ++b)
    for (int64_t h = 0; h < p.heads; ++h)
      for (int64_t i = 0; i < p.lq; ++i) {
        float* o = p.out + b * p.out_stride[0] + h * p.out_stride[1] + i * p.out_stride[2];
        for (int64_t e = 0; e < p.dv; ++e) o[e * p.out_stride[3]] = 0.0f;
      }
}

}  // namespace

const char* attention_isa_name(AttentionIsa isa) {
  switch (isa) {
    case AttentionIsa::Portable: return "portable";
    case AttentionIsa::Avx512: return "avx512";
  }
  return "?";
}

bool attention_isa_supported(AttentionIsa isa) {
  switch (isa) {
    case AttentionIsa::Portable: return true;
    case AttentionIsa::Avx512:
#if defined(__x86_64__) || defined(_M_X64)
      __builtin_cpu_init();
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
#else
      return false;
#endif
  }
  return false;
}

AttentionIsa attention_best_isa() {
  static const AttentionIsa best =
      attention_isa_supported(AttentionIsa::Avx512) ? AttentionIsa::Avx512 : AttentionIsa::Portable;
  return best;
}

const char* attention_flash_declines(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& bias,
                                     const Tensor& out) {
  // The kernels read F32 only; ops::attention converts nothing, so another dtype reaches here only
  // through a direct backend call.
  if (q.dtype() != DType::F32 || k.dtype() != DType::F32 || v.dtype() != DType::F32 || out.dtype() != DType::F32 ||
      (bias.defined() && bias.dtype() != DType::F32))
    return "a tensor is not F32";
  if (q.ndim() != 4 || k.ndim() != 4 || v.ndim() != 4 || out.ndim() != 4) return "a tensor is not 4-D";
  // The tiles are filled with vector loads along D and Dv (ops::attention guarantees unit stride).
  if ((q.dim(3) > 1 && q.stride(3) != 1) || (k.dim(3) > 1 && k.stride(3) != 1) || (v.dim(3) > 1 && v.stride(3) != 1))
    return "q, k or v is not unit-stride along the head dimension";
  // D = 0 makes the default scale 1/sqrt(0); the reference defines what that gives.
  if (q.dim(3) == 0) return "head dimension 0";
  if (bias.defined() && (bias.ndim() != 4 || bias.dim(0) != q.dim(0) || bias.dim(1) != q.dim(1) ||
                         bias.dim(2) != q.dim(2) || bias.dim(3) != k.dim(2)))
    return "bias is not expanded to [B, H, Lq, Lk]";
  return nullptr;
}

void attention_flash(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& bias,
                     const AttentionOptions& options, Tensor& out, AttentionIsa isa, const AttentionTuning& tuning) {
  AD_CHECK(attention_isa_supported(isa), "attention: this CPU cannot run the {} kernel", attention_isa_name(isa));
  const char* declined = attention_flash_declines(q, k, v, bias, out);
  AD_CHECK(declined == nullptr, "attention: the flash kernel declines {}: {}", q.describe(), declined);
  const AttentionProblem p = make_problem(q, k, v, bias, options, out);
  if (p.batch * p.heads * p.lq * p.dv == 0) return;
  if (p.lk == 0) {
    fill_zero(p);
    return;
  }
  AttentionKernel kernel;
#if defined(__x86_64__) || defined(_M_X64)
  kernel = isa == AttentionIsa::Avx512 ? attention_kernel_avx512(p, tuning) : attention_kernel_portable(p, tuning);
#else
  kernel = attention_kernel_portable(p, tuning);
#endif
  const int64_t tiles = (p.lq + kernel.query_tile - 1) / kernel.query_tile;
  const int64_t tasks = p.batch * p.heads * tiles;
  const double task_flops = 2.0 * static_cast<double>(kernel.query_tile * p.lk * (p.d + p.dv)) * (p.causal ? 0.5 : 1.0);
  const int64_t workers =
      task_flops * static_cast<double>(tasks) < kSerialFlops ? 1 : std::min<int64_t>(ThreadPool::threads(), tasks);
  // Claims of several tasks when tasks are small, but at least ~8 claims per worker for balance.
  const int64_t claim = std::clamp<int64_t>(static_cast<int64_t>(kClaimFlops / task_flops), 1,
                                            std::max<int64_t>(1, tasks / (8 * workers)));
  const size_t slot = (kernel.scratch_floats + 15) / 16 * 16;  // keeps every slot 64-byte aligned
  Tensor scratch = Tensor::zeros(Shape{static_cast<int64_t>(slot) * workers});
  float* scratch_base = scratch.data<float>();
  std::atomic<int64_t> next{0};
  // Each worker takes claims of consecutive tasks (same (batch, head): K and V stay in cache)
  // from a shared counter: causal tiles differ in cost, so the split is dynamic; each task's
  // result does not depend on which worker ran it (bitwise deterministic).
  ThreadPool::parallel_for(workers, 1, [&](int64_t worker, int64_t) {
    float* own = scratch_base + static_cast<size_t>(worker) * slot;
    for (;;) {
      const int64_t first = next.fetch_add(claim, std::memory_order_relaxed);
      if (first >= tasks) break;
      const int64_t last = std::min(tasks, first + claim);
      for (int64_t t = first; t < last; ++t) kernel.run_tile(p, kernel, t / tiles, (t % tiles) * kernel.query_tile, own);
    }
  });
}

void CpuBackend::attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& bias,
                           const AttentionOptions& options, Tensor& out) {
  if (const char* declined = attention_flash_declines(q, k, v, bias, out)) {
    if (debug_log_enabled()) std::fprintf(stderr, "[debug] attention %s: reference backend (%s)\n", q.describe().c_str(), declined);
    reference_backend().attention(q, k, v, bias, options, out);
    return;
  }
  attention_flash(q, k, v, bias, options, out, attention_best_isa(), {});
}

}  // namespace ad::cpu

// Internal interface of the CPU flash-attention kernels (docs/attention.md).
//
// CpuBackend::attention (attention.cpp) picks, in priority order:
//   1. the AVX-512 kernel (arch/x86/attention_avx512.cpp), when CPUID reports AVX-512 F/BW/DQ/VL;
//   2. the portable blocked kernel (attention_portable.cpp), plain C++ on any CPU;
//   3. the reference backend, for the calls both kernels decline (attention_flash_declines()).
// Both kernels run the same algorithm: a task is one query tile of one (batch, head); the tile is
// held transposed (queries in SIMD lanes, "Q^T [D][W]"), keys stream through in blocks, the
// softmax is online (running max m and sum l per query, partial output rescaled by
// exp(m_old - m_new)), and the Lq x Lk score matrix exists only one key block at a time.
// Tests and the benchmark call attention_flash() with an explicit ISA to exercise each path.
#pragma once

#include <cstddef>
#include <cstdint>

#include "backend/op_params.h"
#include "core/tensor.h"

namespace ad::cpu {

enum class AttentionIsa : uint8_t { Portable, Avx512 };

const char* attention_isa_name(AttentionIsa isa);
bool attention_isa_supported(AttentionIsa isa);  // from CPUID (__builtin_cpu_supports)
AttentionIsa attention_best_isa();

// One attention call as raw pointers and element strides; q, k, v have unit stride along D / Dv.
struct AttentionProblem {
  int64_t batch = 0, heads = 0, lq = 0, lk = 0, d = 0, dv = 0;
  const float* q = nullptr;
  const float* k = nullptr;
  const float* v = nullptr;
  int64_t q_stride[3] = {}, k_stride[3] = {}, v_stride[3] = {};  // batch, head, row
  const float* bias = nullptr;                                   // null: no bias
  int64_t bias_stride[4] = {};                                   // batch, head, query, key (0: broadcast)
  float* out = nullptr;
  int64_t out_stride[4] = {};                                    // batch, head, row, dv
  float scale = 1.0f;                                            // resolved (never 0)
  bool causal = false;
};

// Tile sizes; 0 lets the kernel choose (the benchmark sweeps them).
struct AttentionTuning {
  int query_tile = 0;  // queries per task (AVX-512: 16, 32 or 64; portable: 16)
  int key_block = 0;   // keys per online-softmax step
};

// A kernel configured for one problem. run_tile computes out rows [q0, q0 + query_tile) of one
// (batch * heads + head) with `scratch` (scratch_floats floats, 64-byte aligned, zeroed once per
// call, private to the calling worker). It must not throw.
struct AttentionKernel {
  int64_t query_tile = 16;
  int64_t key_block = 64;
  size_t scratch_floats = 0;
  void (*run_tile)(const AttentionProblem& p, const AttentionKernel& kernel, int64_t bh, int64_t q0,
                   float* scratch) = nullptr;
};

AttentionKernel attention_kernel_portable(const AttentionProblem& p, const AttentionTuning& tuning);
#if defined(__x86_64__) || defined(_M_X64)
AttentionKernel attention_kernel_avx512(const AttentionProblem& p, const AttentionTuning& tuning);
#endif

// nullptr when the flash kernels take the call, else the reason they decline it.
const char* attention_flash_declines(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& bias,
                                     const Tensor& out);
// The blocked flash attention on the given ISA (which must be supported; the call must not be
// declined). Same contract as Backend::attention; bias already expanded to [B, H, Lq, Lk].
void attention_flash(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& bias,
                     const AttentionOptions& options, Tensor& out, AttentionIsa isa,
                     const AttentionTuning& tuning = {});

}  // namespace ad::cpu

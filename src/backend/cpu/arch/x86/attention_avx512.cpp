// AVX-512 flash-attention kernel (algorithm and tiling: attention_kernel.h, docs/attention.md).
//
// Layout of one task (query tile of W = 16 * NV queries of one (batch, head)), queries in lanes:
//   qt [D][W]    the query tile transposed and scaled, packed once per task (16x16 transposes)
//   s  [Bk][W]   scores S^T of one key block, then its probabilities P^T
//   ot [Dv][W]   the unnormalised output O^T, rescaled per key block
// S^T = K_blk Q^T and O^T += V_blk^T P^T are register-blocked micro-kernels that broadcast one
// element of K (resp. V) from its row in place (no packing of K or V: they are read through
// their strides, e.g. the [B, L, H*D] projection layout) against NV vectors of queries. Head
// sizes D and Dv are loop counts, never vector widths, so D = 40 or 80 wastes no lane; only a
// tail tile of queries (Lq % W) leaves lanes idle. The softmax over keys is a reduction across
// rows of s, i.e. element-wise vector max / add with no horizontal reduction.
//
// Compiled for AVX-512 by the target pragma below (the engine's CMake globs this file with the
// baseline flags) and run only when CPUID reports the ISA (attention_isa_supported). Everything
// AVX-512 here has internal linkage, so no inline function compiled for AVX-512 can be picked by
// the linker for baseline code.
#if defined(__x86_64__) || defined(_M_X64)

#include <immintrin.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <utility>

#include "backend/cpu/attention_kernel.h"
#include "core/thread_pool.h"

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,fma")
// GCC 12's AVX-512 headers start many intrinsics from _mm512_undefined_ps(), which
// -Wmaybe-uninitialized reports at every use (GCC bug 105593); nothing here reads undefined lanes.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace ad::cpu {

namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();

inline __mmask16 first_lanes(int64_t n) {
  return n >= 16 ? static_cast<__mmask16>(0xFFFF) : n <= 0 ? 0 : static_cast<__mmask16>((1u << n) - 1);
}

// exp(x) for x <= 0 (and -inf): 2^n * p(f) with n = round(x log2 e), f = x log2 e - n in
// [-1/2, 1/2] (one FMA, one rounding), p a degree-5 minimax fit of 2^f (relative error 1.5e-7
// in float). x is clamped at -104 (exp = 0 in float) so -inf gives 0, not NaN; NaN stays NaN.
inline __m512 f32_exp_avx512(__m512 x) {
  const __m512 log2e = _mm512_set1_ps(1.44269504f);
  x = _mm512_max_ps(_mm512_set1_ps(-104.0f), x);
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, log2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m512 f = _mm512_fmsub_ps(x, log2e, n);
  __m512 p = _mm512_set1_ps(1.327647245e-03f);
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(9.675540961e-03f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.550713092e-02f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.402212024e-01f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.931469440e-01f));
  p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.000000119e+00f));
  return _mm512_scalef_ps(p, n);
}

// In-register transpose of a 16x16 block: r[i][j] -> r[j][i].
inline void f32_transpose_16x16_avx512(__m512 r[16]) {
  __m512 t[16];
  for (int i = 0; i < 8; ++i) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  // r[4g + x], 128-bit lane L: rows 4g..4g+3 of column 4L + x.
  for (int g = 0; g < 4; ++g) {
    const __m512d a = _mm512_castps_pd(t[4 * g]), b = _mm512_castps_pd(t[4 * g + 1]);
    const __m512d c = _mm512_castps_pd(t[4 * g + 2]), d = _mm512_castps_pd(t[4 * g + 3]);
    r[4 * g] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
    r[4 * g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
    r[4 * g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
    r[4 * g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
  }
  // Transpose the 4x4 grid of 128-bit lanes: column 4L + x gathers lane L of r[x], r[4+x], ...
  for (int x = 0; x < 4; ++x) {
    const __m512 a = _mm512_shuffle_f32x4(r[x], r[4 + x], 0x44), b = _mm512_shuffle_f32x4(r[x], r[4 + x], 0xEE);
    const __m512 c = _mm512_shuffle_f32x4(r[8 + x], r[12 + x], 0x44), d = _mm512_shuffle_f32x4(r[8 + x], r[12 + x], 0xEE);
    t[x] = _mm512_shuffle_f32x4(a, c, 0x88);
    t[4 + x] = _mm512_shuffle_f32x4(a, c, 0xDD);
    t[8 + x] = _mm512_shuffle_f32x4(b, d, 0x88);
    t[12 + x] = _mm512_shuffle_f32x4(b, d, 0xDD);
  }
  for (int i = 0; i < 16; ++i) r[i] = t[i];
}

// qt[e][i] = scale * q[i][e] for i < nq (0 beyond), e < round_up(D, 16).
template <int NV>
void f32_attention_pack_q_avx512(const float* q, int64_t row_stride, int64_t nq, int64_t D, float scale, float* qt) {
  constexpr int W = 16 * NV;
  const __m512 vscale = _mm512_set1_ps(scale);
  for (int c = 0; c < NV; ++c) {
    const int64_t rows = std::clamp<int64_t>(nq - 16 * c, 0, 16);
    for (int64_t e0 = 0; e0 < D; e0 += 16) {
      const __mmask16 mask = first_lanes(D - e0);
      __m512 r[16];
      for (int i = 0; i < 16; ++i)
        r[i] = i < rows ? _mm512_maskz_loadu_ps(mask, q + (16 * c + i) * row_stride + e0) : _mm512_setzero_ps();
      f32_transpose_16x16_avx512(r);
      for (int i = 0; i < 16; ++i) _mm512_store_ps(qt + (e0 + i) * W + 16 * c, _mm512_mul_ps(r[i], vscale));
    }
  }
}

// s[r][:] = sum_e k[r][e] * qt[e][:] for R keys (rows of k at `k_stride`) and W = 16 NV queries.
template <int NV, int R>
__attribute__((noinline)) void f32_attention_qk_avx512(const float* k, int64_t k_stride, const float* qt, int64_t D, float* s) {
  constexpr int W = 16 * NV;
  __m512 acc[R][NV];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int c = 0; c < NV; ++c) acc[r][c] = _mm512_setzero_ps();
  for (int64_t e = 0; e < D; ++e) {
    __m512 qv[NV];
#pragma GCC unroll 4
    for (int c = 0; c < NV; ++c) qv[c] = _mm512_load_ps(qt + e * W + 16 * c);
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const __m512 kb = _mm512_set1_ps(k[r * k_stride + e]);
#pragma GCC unroll 4
      for (int c = 0; c < NV; ++c) acc[r][c] = _mm512_fmadd_ps(kb, qv[c], acc[r][c]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int c = 0; c < NV; ++c) _mm512_store_ps(s + r * W + 16 * c, acc[r][c]);
}

// ot[r][:] = alpha * ot[r][:] + sum_j v[j][r] * p[j][:] for R output columns (v rows at v_stride).
// The block sum starts from 0 and is added at the end (blocked summation: smaller rounding error).
template <int NV, int R>
__attribute__((noinline)) void f32_attention_pv_avx512(const float* v, int64_t v_stride, const float* p, int64_t nk, const __m512* alpha,
                                    bool first, float* ot) {
  constexpr int W = 16 * NV;
  __m512 acc[R][NV];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int c = 0; c < NV; ++c) acc[r][c] = _mm512_setzero_ps();
  for (int64_t j = 0; j < nk; ++j) {
    __m512 pv[NV];
#pragma GCC unroll 4
    for (int c = 0; c < NV; ++c) pv[c] = _mm512_load_ps(p + j * W + 16 * c);
    const float* vj = v + j * v_stride;
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const __m512 vb = _mm512_set1_ps(vj[r]);
#pragma GCC unroll 4
      for (int c = 0; c < NV; ++c) acc[r][c] = _mm512_fmadd_ps(vb, pv[c], acc[r][c]);
    }
  }
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r)
#pragma GCC unroll 4
    for (int c = 0; c < NV; ++c) {
      float* o = ot + r * W + 16 * c;
      _mm512_store_ps(o, first ? acc[r][c] : _mm512_fmadd_ps(_mm512_load_ps(o), alpha[c], acc[r][c]));
    }
}

// Calls f(std::integral_constant<int, size>{}, start) for groups covering [0, n) in near-equal
// sizes of at most RMAX (77 keys in blocks of 12 -> 7 groups of 11), so a micro-kernel with a
// compile-time row count runs every group.
template <int R, typename F>
inline void dispatch_rows(int64_t size, int64_t start, F& f) {
  if constexpr (R >= 1) {
    if (size == R)
      f(std::integral_constant<int, R>{}, start);
    else
      dispatch_rows<R - 1>(size, start, f);
  }
}

template <int RMAX, typename F>
inline void for_row_groups(int64_t n, F&& f) {
  if (n <= 0) return;
  const int64_t groups = (n + RMAX - 1) / RMAX;
  const int64_t base = n / groups, extra = n % groups;
  int64_t start = 0;
  for (int64_t g = 0; g < groups; ++g) {
    const int64_t size = base + (g < extra ? 1 : 0);
    dispatch_rows<RMAX>(size, start, f);
    start += size;
  }
}

// Register blocking per query width: accumulators R x NV <= 24 of the 32 zmm registers. The QK
// kernel reads R rows of K through R pointers, and 12 is what the 15 usable general registers
// hold without spills (checked in the generated code); the PV kernel needs one pointer.
template <int NV>
constexpr int kQkRows = NV == 4 ? 6 : 12;
template <int NV>
constexpr int kPvRows = NV == 1 ? 16 : NV == 2 ? 12 : 6;

constexpr int64_t kPrefetchKeys = 256;

template <int Hint>
inline void prefetch_rows(const float* base, int64_t rows, int64_t stride, int64_t width) {
  for (int64_t r = 0; r < rows; ++r) {
    const char* row = reinterpret_cast<const char*>(base + r * stride);
    for (int64_t off = 0; off < width * 4; off += 64) _mm_prefetch(row + off, static_cast<_mm_hint>(Hint));
    _mm_prefetch(row + width * 4 - 1, static_cast<_mm_hint>(Hint));
  }
}

// All of q, k, v and out of one (batch, head) (a short sequence: the whole query range).
inline void prefetch_task(const AttentionProblem& p, int64_t bh) {
  const int64_t b = bh / p.heads, h = bh % p.heads;
  prefetch_rows<_MM_HINT_T0>(p.q + b * p.q_stride[0] + h * p.q_stride[1], p.lq, p.q_stride[2], p.d);
  prefetch_rows<_MM_HINT_T0>(p.k + b * p.k_stride[0] + h * p.k_stride[1], p.lk, p.k_stride[2], p.d);
  prefetch_rows<_MM_HINT_T0>(p.v + b * p.v_stride[0] + h * p.v_stride[1], p.lk, p.v_stride[2], p.dv);
  if (p.out_stride[3] == 1)
    prefetch_rows<_MM_HINT_ET0>(p.out + b * p.out_stride[0] + h * p.out_stride[1], p.lq, p.out_stride[2], p.dv);
}

template <int NV>
void run_tile_avx512(const AttentionProblem& p, const AttentionKernel& kernel, int64_t bh, int64_t q0, float* scratch) {
  constexpr int W = 16 * NV;
  const int64_t b = bh / p.heads, h = bh % p.heads;
  const int64_t nq = std::min<int64_t>(W, p.lq - q0);
  const int64_t D = p.d, Dv = p.dv;
  const int64_t d_pad = (D + 15) / 16 * 16, dv_pad = (Dv + 15) / 16 * 16;
  const float* q = p.q + b * p.q_stride[0] + h * p.q_stride[1] + q0 * p.q_stride[2];
  const float* k = p.k + b * p.k_stride[0] + h * p.k_stride[1];
  const float* v = p.v + b * p.v_stride[0] + h * p.v_stride[1];
  const int64_t ks = p.k_stride[2], vs = p.v_stride[2];
  float* qt = scratch;
  float* ot = qt + d_pad * W;
  float* s = ot + dv_pad * W;

  // The rows this task reads and writes once (q, out) are requested one task ahead: for a short
  // key range (cross-attention over 77 tokens, AnimateDiff's frames) a task is a few us of work
  // and waiting for them from memory cost a third of it. Within a sequence that is the next
  // query tile; a sequence of one tile requests the whole of q, k, v and out of the (batch,
  // head) 2 * heads ahead: the same head two rows of [B, L, H*D] projections on (the heads
  // in between share those rows' cache lines).
  if (p.lk <= kPrefetchKeys) {
    if (q0 + W < p.lq) {
      const int64_t rows = std::min<int64_t>(W, p.lq - q0 - W);
      prefetch_rows<_MM_HINT_T0>(q + W * p.q_stride[2], rows, p.q_stride[2], D);
      if (p.out_stride[3] == 1)
        prefetch_rows<_MM_HINT_ET0>(p.out + b * p.out_stride[0] + h * p.out_stride[1] + (q0 + W) * p.out_stride[2], rows,
                                    p.out_stride[2], Dv);
    } else if (q0 == 0 && bh + 2 * p.heads < p.batch * p.heads) {
      prefetch_task(p, bh + 2 * p.heads);
    }
  }
  f32_attention_pack_q_avx512<NV>(q, p.q_stride[2], nq, D, p.scale, qt);

  // Bias rows: bias[b, h, q0 + lane, key]; a broadcast over queries (stride 0, e.g. a key
  // padding mask) is one scalar per key, anything else a masked gather along the query stride.
  const float* bias = p.bias ? p.bias + b * p.bias_stride[0] + h * p.bias_stride[1] + q0 * p.bias_stride[2] : nullptr;
  const int64_t bias_qs = p.bias_stride[2], bias_ks = p.bias_stride[3];
  const bool bias_gather = bias && bias_qs != 0;
  __m512i bias_index[NV];
  __mmask16 lanes[NV];
  for (int c = 0; c < NV; ++c) {
    lanes[c] = first_lanes(nq - 16 * c);
    bias_index[c] = _mm512_mullo_epi32(
        _mm512_add_epi32(_mm512_set1_epi32(16 * c), _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)),
        _mm512_set1_epi32(static_cast<int>(bias_qs)));
  }
  // (attention_kernel_avx512 checked that (W - 1) * |bias_qs| fits the int32 gather index.)

  __m512 m[NV], l[NV];
  for (int c = 0; c < NV; ++c) {
    m[c] = _mm512_set1_ps(kNegInf);
    l[c] = _mm512_setzero_ps();
  }
  // Causal: keys after the tile's last query are masked for all its queries.
  const int64_t key_end = p.causal ? std::min(p.lk, q0 + nq) : p.lk;
  bool first = true;
  for (int64_t j0 = 0; j0 < key_end; j0 += kernel.key_block) {
    const int64_t nk = std::min(kernel.key_block, key_end - j0);
    // S^T = K_blk Q^T.
    for_row_groups<kQkRows<NV>>(nk, [&](auto rows, int64_t r0) {
      f32_attention_qk_avx512<NV, decltype(rows)::value>(k + (j0 + r0) * ks, ks, qt, D, s + r0 * W);
    });
    // Bias, causal mask, block maximum.
    __m512 mx[NV];
    for (int c = 0; c < NV; ++c) mx[c] = m[c];
    const bool fix = bias || (p.causal && j0 + nk - 1 > q0);
    for (int64_t j = 0; j < nk; ++j) {
      const int64_t key = j0 + j;
      for (int c = 0; c < NV; ++c) {
        __m512 x = _mm512_load_ps(s + j * W + 16 * c);
        if (fix) {
          if (bias) {
            const float* brow = bias + key * bias_ks;
            x = _mm512_add_ps(x, bias_gather ? _mm512_mask_i32gather_ps(_mm512_setzero_ps(), lanes[c], bias_index[c], brow, 4)
                                             : _mm512_set1_ps(*brow));
          }
          if (p.causal && key > q0 + 16 * c)  // lanes whose query precedes the key
            x = _mm512_mask_mov_ps(x, first_lanes(key - q0 - 16 * c), _mm512_set1_ps(kNegInf));
          _mm512_store_ps(s + j * W + 16 * c, x);
        }
        mx[c] = _mm512_max_ps(mx[c], x);
      }
    }
    // Online softmax. A row masked so far (max -inf) subtracts 0, so exp(-inf - -inf) is never NaN.
    __m512 m_use[NV], alpha[NV], sum[NV];
    for (int c = 0; c < NV; ++c) {
      m_use[c] = _mm512_mask_mov_ps(mx[c], _mm512_cmp_ps_mask(mx[c], _mm512_set1_ps(kNegInf), _CMP_EQ_OQ), _mm512_setzero_ps());
      alpha[c] = f32_exp_avx512(_mm512_sub_ps(m[c], m_use[c]));
      m[c] = mx[c];
      sum[c] = _mm512_setzero_ps();
    }
    for (int64_t j = 0; j < nk; ++j)
      for (int c = 0; c < NV; ++c) {
        const __m512 e = f32_exp_avx512(_mm512_sub_ps(_mm512_load_ps(s + j * W + 16 * c), m_use[c]));
        _mm512_store_ps(s + j * W + 16 * c, e);
        sum[c] = _mm512_add_ps(sum[c], e);
      }
    for (int c = 0; c < NV; ++c) l[c] = _mm512_fmadd_ps(l[c], alpha[c], sum[c]);
    // O^T = alpha O^T + V_blk^T P^T.
    const float* vb = v + j0 * vs;
    for_row_groups<kPvRows<NV>>(Dv, [&](auto rows, int64_t r0) {
      f32_attention_pv_avx512<NV, decltype(rows)::value>(vb + r0, vs, s, nk, alpha, first, ot + r0 * W);
    });
    first = false;
  }

  // out[q0 + i][e] = ot[e][i] / l[i]; a row without any unmasked key (l = 0) gives 0, not 0/0.
  __m512 inv[NV];
  for (int c = 0; c < NV; ++c) {
    const __mmask16 positive = _mm512_cmp_ps_mask(l[c], _mm512_setzero_ps(), _CMP_GT_OQ);
    inv[c] = _mm512_maskz_div_ps(positive, _mm512_set1_ps(1.0f), l[c]);
  }
  float* out = p.out + b * p.out_stride[0] + h * p.out_stride[1] + q0 * p.out_stride[2];
  const int64_t os = p.out_stride[2], oe = p.out_stride[3];
  for (int c = 0; c < NV; ++c) {
    const int64_t rows = std::clamp<int64_t>(nq - 16 * c, 0, 16);
    for (int64_t e0 = 0; e0 < Dv; e0 += 16) {
      __m512 r[16];
      for (int i = 0; i < 16; ++i) r[i] = _mm512_mul_ps(_mm512_load_ps(ot + (e0 + i) * W + 16 * c), inv[c]);
      f32_transpose_16x16_avx512(r);
      const int64_t cols = std::min<int64_t>(16, Dv - e0);
      const __mmask16 mask = first_lanes(cols);
      for (int64_t i = 0; i < rows; ++i) {
        float* o = out + (16 * c + i) * os + e0 * oe;
        if (oe == 1) {
          _mm512_mask_storeu_ps(o, mask, r[i]);
        } else {
          alignas(64) float row[16];
          _mm512_store_ps(row, r[i]);
          for (int64_t e = 0; e < cols; ++e) o[e * oe] = row[e];
        }
      }
    }
  }
}

// Queries per tile: wider tiles reuse each K / V element over more queries (measured, D = 40 at
// 4096 tokens: 64 wide ~8% faster than 32, 32 ~25% faster than 16), narrow ones waste fewer
// lanes on a short tail (77 tokens: 96 lanes at 32 wide, 128 at 64). The cost per padded lane
// below ranks the widths; a tile width that leaves fewer than 2 tasks per thread is halved.
int choose_query_tile(const AttentionProblem& p) {
  int best = 16;
  double best_cost = 0;
  for (const auto& [width, factor] : {std::pair{64, 1.0}, std::pair{32, 1.1}, std::pair{16, 1.35}}) {
    const double cost = static_cast<double>((p.lq + width - 1) / width * width) * factor;
    if (best_cost == 0 || cost < best_cost) {
      best = width;
      best_cost = cost;
    }
  }
  while (best > 16 && p.batch * p.heads * ((p.lq + best - 1) / best) < 2 * ThreadPool::threads()) best /= 2;
  return best;
}

}  // namespace

AttentionKernel attention_kernel_avx512(const AttentionProblem& p, const AttentionTuning& tuning) {
  AttentionKernel kernel;
  int width = tuning.query_tile;
  if (width != 16 && width != 32 && width != 64) width = choose_query_tile(p);
  // The bias gather indexes lanes by int32 offsets; a query stride too large for them (a bias
  // of more than 2^31 / 64 floats per query row) falls back to 16-query tiles, and beyond that
  // the portable kernel takes the call.
  const int64_t bias_qs = p.bias ? (p.bias_stride[2] < 0 ? -p.bias_stride[2] : p.bias_stride[2]) : 0;
  while (width > 16 && bias_qs * (width - 1) > INT32_MAX) width /= 2;
  if (bias_qs * (width - 1) > INT32_MAX) return attention_kernel_portable(p, tuning);
  // Key blocks: the score tile s [Bk][W] stays within 32 KB (L1 is 48 KB on Zen 5; the lab
  // in bench_attention.cpp finds 64..256 keys within a few % of each other).
  const int64_t block_max = tuning.key_block > 0 ? tuning.key_block : (width == 64 ? 64 : 128);
  const int64_t blocks = (p.lk + block_max - 1) / block_max;
  kernel.query_tile = width;
  kernel.key_block = std::max<int64_t>(1, (p.lk + blocks - 1) / std::max<int64_t>(blocks, 1));
  const int64_t d_pad = (p.d + 15) / 16 * 16, dv_pad = (p.dv + 15) / 16 * 16;
  kernel.scratch_floats = static_cast<size_t>((d_pad + dv_pad + kernel.key_block) * width);
  kernel.run_tile = width == 16 ? run_tile_avx512<1> : width == 32 ? run_tile_avx512<2> : run_tile_avx512<4>;
  return kernel;
}

}  // namespace ad::cpu

#pragma GCC diagnostic pop
#pragma GCC pop_options

#endif  // x86-64

// Attention kernels of the CPU backend against the reference backend (double accumulation).
// Every case prints `attention(vars): OK|FAIL`; rerun one with
//   build/tests/ad_tests --gtest_filter='*Attention*<name printed by gtest>*'
// Paths: "cpu" is CpuBackend::attention (best ISA from CPUID); the others call the portable or
// the AVX-512 kernel explicitly, some with tiny key blocks so the online softmax rescales often.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "backend/cpu/attention_kernel.h"
#include "backend/ops.h"
#include "support/test_util.h"

namespace ad {
namespace {

using cpu::AttentionIsa;
using cpu::AttentionTuning;

enum class Layout { Contiguous, Projection, Permuted, PaddedRows, SharedKv };
enum class BiasKind { None, Full, PerHead, KeyMask, Transposed };

const char* layout_name(Layout l) {
  switch (l) {
    case Layout::Contiguous: return "contiguous";
    case Layout::Projection: return "projection";
    case Layout::Permuted: return "permuted";
    case Layout::PaddedRows: return "padded";
    case Layout::SharedKv: return "sharedkv";
  }
  return "?";
}
const char* bias_name(BiasKind b) {
  switch (b) {
    case BiasKind::None: return "none";
    case BiasKind::Full: return "full";
    case BiasKind::PerHead: return "perhead";
    case BiasKind::KeyMask: return "keymask";
    case BiasKind::Transposed: return "transposed";
  }
  return "?";
}

struct Path {
  const char* name;
  bool backend;  // through CpuBackend::attention
  AttentionIsa isa;
  AttentionTuning tuning;
};

const Path kPaths[] = {
    {"cpu", true, AttentionIsa::Portable, {}},  // isa unused: CPUID decides
    {"portable", false, AttentionIsa::Portable, {}},
    {"portable_kb5", false, AttentionIsa::Portable, {16, 5}},
    {"avx512_q16_kb5", false, AttentionIsa::Avx512, {16, 5}},
    {"avx512_q32", false, AttentionIsa::Avx512, {32, 0}},
    {"avx512_q64_kb24", false, AttentionIsa::Avx512, {64, 24}},
};

struct Case {
  int64_t batch, heads, lq, lk, d, dv;
  bool causal;
  BiasKind bias;
  Layout layout;
  float scale;  // 0: 1/sqrt(D)
  float range;  // inputs uniform in [-range, range)
  int path;

  std::string vars() const {
    return fmt::format("B={},H={},Lq={},Lk={},D={},Dv={},causal={},bias={},layout={},scale={},range={},path={}", batch,
                       heads, lq, lk, d, dv, causal ? 1 : 0, bias_name(bias), layout_name(layout), scale, range,
                       kPaths[path].name);
  }
  std::string name() const {
    std::string s = fmt::format("B{}_H{}_Lq{}_Lk{}_D{}_Dv{}_{}{}_{}_s{}_{}", batch, heads, lq, lk, d, dv,
                                causal ? "causal_" : "", bias_name(bias), layout_name(layout),
                                static_cast<int>(scale * 100), kPaths[path].name);
    return s;
  }
};

// A [B, H, L, E] tensor with random values in the given memory layout.
Tensor make_input(Layout layout, int64_t B, int64_t H, int64_t L, int64_t E, uint64_t seed, float range) {
  switch (layout) {
    case Layout::Contiguous:
    case Layout::SharedKv:
      return test::random_tensor({B, H, L, E}, seed, -range, range);
    case Layout::Projection:  // [B, L, H*E] as a linear layer writes it
      return test::random_tensor({B, L, H * E}, seed, -range, range).view({B, L, H, E}).transpose(1, 2);
    case Layout::Permuted:  // stored [L, H, B, E]
      return test::random_tensor({L, H, B, E}, seed, -range, range).permute({2, 1, 0, 3});
    case Layout::PaddedRows:  // rows of E + 3 floats, E used (unaligned rows)
      return test::random_tensor({B, H, L, E + 3}, seed, -range, range).slice(3, 1, E + 1);
  }
  return {};
}

struct Inputs {
  Tensor q, k, v, bias;
};

Inputs make_inputs(const Case& c, uint64_t seed) {
  Inputs in;
  in.q = make_input(c.layout, c.batch, c.heads, c.lq, c.d, seed, c.range);
  if (c.layout == Layout::SharedKv) {  // one K/V head shared by all query heads (stride 0)
    in.k = test::random_tensor({c.batch, 1, c.lk, c.d}, seed + 1, -c.range, c.range).expand({c.batch, c.heads, c.lk, c.d});
    in.v = test::random_tensor({c.batch, 1, c.lk, c.dv}, seed + 2, -1, 1).expand({c.batch, c.heads, c.lk, c.dv});
  } else {
    in.k = make_input(c.layout, c.batch, c.heads, c.lk, c.d, seed + 1, c.range);
    in.v = make_input(c.layout, c.batch, c.heads, c.lk, c.dv, seed + 2, 1.0f);
  }
  switch (c.bias) {
    case BiasKind::None: break;
    case BiasKind::Full: in.bias = test::random_tensor({c.batch, c.heads, c.lq, c.lk}, seed + 3, -2, 2); break;
    case BiasKind::PerHead:  // T5's relative position bias: [1, H, Lq, Lk]
      in.bias = test::random_tensor({1, c.heads, c.lq, c.lk}, seed + 3, -2, 2);
      break;
    case BiasKind::KeyMask: {  // padding mask [B, 1, 1, Lk]: -inf on some keys (never all)
      Tensor m = test::random_tensor({c.batch, 1, 1, c.lk}, seed + 3, -1, 1);
      float* p = m.data<float>();
      for (int64_t i = 0; i < m.numel(); ++i)
        if (i % c.lk != 0 && p[i] < -0.5f) p[i] = -std::numeric_limits<float>::infinity();
      in.bias = m;
      break;
    }
    case BiasKind::Transposed:  // stored [B, H, Lk, Lq], viewed [B, H, Lq, Lk]
      in.bias = test::random_tensor({c.batch, c.heads, c.lk, c.lq}, seed + 3, -2, 2).transpose(2, 3);
      break;
  }
  return in;
}

Tensor run_reference(const Inputs& in, const AttentionOptions& options) {
  BackendOverride use(reference_backend());
  return ops::attention(in.q, in.k, in.v, options, in.bias);
}

// The path under test, given the inputs as ops::attention passes them to a backend.
Tensor run_path(const Path& path, const Inputs& in, const AttentionOptions& options) {
  if (path.backend) {
    BackendOverride use(cpu_backend());
    return ops::attention(in.q, in.k, in.v, options, in.bias);
  }
  const int64_t B = in.q.dim(0), H = in.q.dim(1), Lq = in.q.dim(2), Dv = in.v.dim(3);
  Tensor bias = in.bias.defined() ? in.bias.expand({B, H, Lq, in.k.dim(2)}) : Tensor();
  Tensor out = Tensor::empty({B, Lq, H, Dv}).transpose(1, 2);
  cpu::attention_flash(in.q, in.k, in.v, bias, options, out, path.isa, path.tuning);
  return out;
}

class AttentionTest : public testing::TestWithParam<Case> {};

TEST_P(AttentionTest, MatchesReference) {
  const Case& c = GetParam();
  const Path& path = kPaths[c.path];
  if (!cpu::attention_isa_supported(path.isa)) GTEST_SKIP() << "attention(" << c.vars() << "): not supported";
  const Inputs in = make_inputs(c, 1000 + static_cast<uint64_t>(c.lq * 7 + c.lk * 13 + c.d));
  AttentionOptions options;
  options.scale = c.scale;
  options.causal = c.causal;
  const Tensor want = run_reference(in, options);
  const Tensor got = run_path(path, in, options);
  const test::Diff diff = test::compare(got, want);
  const bool ok = diff.finite && diff.rel_l2 < 1e-5 && diff.max_abs < 2e-5;
  std::printf("attention(%s): %s (rel_l2 %.2e, max_abs %.2e)\n", c.vars().c_str(), ok ? "OK" : "FAIL", diff.rel_l2,
              diff.max_abs);
  EXPECT_TRUE(ok) << "attention(" << c.vars() << "): rel_l2 " << diff.rel_l2 << " max_abs " << diff.max_abs;
}

std::vector<Case> make_cases() {
  std::vector<Case> cases;
  const int64_t dims[] = {1, 4, 8, 16, 40, 64, 80, 160};
  const int64_t lengths[][2] = {{1, 1}, {3, 7}, {7, 3}, {13, 13}, {77, 77}, {100, 333}, {333, 100}, {1, 333}, {333, 1}};
  const Layout layouts[] = {Layout::Contiguous, Layout::Projection, Layout::Permuted, Layout::PaddedRows, Layout::SharedKv};
  const BiasKind biases[] = {BiasKind::None, BiasKind::Full, BiasKind::PerHead, BiasKind::KeyMask, BiasKind::Transposed};
  const int paths = static_cast<int>(std::size(kPaths));
  int n = 0;
  // The sweep: every D with every (Lq, Lk) pair; layout, bias, causal, Dv, scale and path rotate.
  for (int64_t d : dims)
    for (const auto& len : lengths) {
      Case c{};
      c.batch = 1 + n % 2;
      c.heads = 1 + n % 3;
      c.lq = len[0];
      c.lk = len[1];
      c.d = d;
      c.dv = n % 3 == 0 ? d : (n % 3 == 1 ? d + 8 : std::max<int64_t>(1, d / 2 + 3));
      c.causal = c.lq == c.lk && n % 2 == 0;
      c.bias = biases[n % 5];
      c.layout = layouts[(n / 5) % 5];
      c.scale = n % 4 == 3 ? 0.5f : 0.0f;
      c.range = n % 7 == 0 ? 3.0f : 1.0f;
      for (int p = 0; p < paths; ++p) {
        c.path = p;
        cases.push_back(c);
      }
      ++n;
    }
  // Shapes of the real models, scaled down in length where the reference would be slow.
  const Case models[] = {
      {1, 2, 256, 77, 40, 40, false, BiasKind::None, Layout::Projection, 0, 1, 0},   // SD cross-attention
      {1, 2, 256, 256, 80, 80, false, BiasKind::None, Layout::Projection, 0, 1, 0},  // SD self-attention
      {2, 1, 64, 64, 160, 160, false, BiasKind::None, Layout::Projection, 0, 1, 0},  // SD mid block
      {64, 2, 16, 16, 40, 40, false, BiasKind::None, Layout::Projection, 0, 1, 0},   // AnimateDiff temporal
      {16, 2, 24, 24, 80, 80, false, BiasKind::None, Layout::Projection, 0, 1, 0},   // temporal, 24 frames
      {1, 2, 218, 218, 64, 64, false, BiasKind::None, Layout::Projection, 0, 1, 0},  // MMDiT joint (154 + 64)
      {2, 2, 77, 77, 64, 64, true, BiasKind::None, Layout::Projection, 0, 1, 0},     // CLIP text encoder
      {1, 3, 77, 77, 64, 64, false, BiasKind::PerHead, Layout::Projection, 0, 1, 0}, // T5 relative bias
  };
  for (Case c : models)
    for (int p = 0; p < paths; ++p) {
      c.path = p;
      cases.push_back(c);
    }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Cases, AttentionTest, testing::ValuesIn(make_cases()),
                         [](const testing::TestParamInfo<Case>& param) { return param.param.name(); });

// The fixed-path tests below run every available path.
std::vector<int> available_paths() {
  std::vector<int> paths;
  for (int p = 0; p < static_cast<int>(std::size(kPaths)); ++p)
    if (cpu::attention_isa_supported(kPaths[p].isa)) paths.push_back(p);
  return paths;
}

TEST(Attention, DeterministicAcrossRuns) {
  const Case c{2, 3, 333, 100, 40, 40, false, BiasKind::Full, Layout::Projection, 0, 1, 0};
  const Inputs in = make_inputs(c, 7);
  for (int p : available_paths()) {
    const Tensor a = run_path(kPaths[p], in, {}).contiguous();
    const Tensor b = run_path(kPaths[p], in, {}).contiguous();
    EXPECT_EQ(std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()), 0) << kPaths[p].name;
  }
}

// A query whose keys are all masked by -inf: the reference gives 0/0 = NaN, the kernels give 0
// (the other rows are unaffected). Masked by -FLT_MAX (as Hugging Face builds masks) the row is
// defined and both agree: a uniform average of V.
TEST(Attention, FullyMaskedRows) {
  for (int p : available_paths()) {
    for (const float fill : {-std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::max()}) {
      const int64_t B = 1, H = 2, L = 37, D = 40;
      Inputs in;
      in.q = test::random_tensor({B, H, L, D}, 11);
      in.k = test::random_tensor({B, H, L, D}, 12);
      in.v = test::random_tensor({B, H, L, D}, 13);
      in.bias = test::random_tensor({B, H, L, L}, 14);
      float* bias = in.bias.data<float>();
      for (int64_t h = 0; h < H; ++h)
        for (int64_t j = 0; j < L; ++j) bias[(h * L + 5) * L + j] = fill;  // query 5 of every head
      const Tensor got = run_path(kPaths[p], in, {});
      const Tensor want = run_reference(in, {});
      const std::string vars = fmt::format("fill={},path={}", fill, kPaths[p].name);
      if (std::isinf(fill)) {
        EXPECT_TRUE(test::compare(got, got).finite) << vars;
        for (int64_t h = 0; h < H; ++h)
          for (int64_t e = 0; e < D; ++e) EXPECT_EQ(got.item(std::vector<int64_t>{0, h, 5, e}), 0.0) << vars;
        const Tensor rows = got.slice(2, 6, L), want_rows = want.slice(2, 6, L);
        EXPECT_LT(test::compare(rows, want_rows).rel_l2, 1e-5) << vars;
      } else {
        const test::Diff diff = test::compare(got, want);
        EXPECT_TRUE(diff.finite && diff.rel_l2 < 1e-5) << vars << " rel_l2 " << diff.rel_l2;
      }
      std::printf("attention(masked row, %s): done\n", vars.c_str());
    }
  }
}

// Peaked scores (a large scale) where the maximum moves from block to block.
TEST(Attention, LargeScoresRescale) {
  for (int p : available_paths()) {
    Inputs in;
    in.q = test::random_tensor({1, 2, 50, 16}, 21, -4, 4);
    in.k = test::random_tensor({1, 2, 300, 16}, 22, -4, 4);
    in.v = test::random_tensor({1, 2, 300, 24}, 23);
    AttentionOptions options;
    options.scale = 2.0f;  // scores up to ~500: exp overflows without the running max
    const test::Diff diff = test::compare(run_path(kPaths[p], in, options), run_reference(in, options));
    EXPECT_TRUE(diff.finite && diff.rel_l2 < 1e-5) << kPaths[p].name << " rel_l2 " << diff.rel_l2;
  }
}

TEST(Attention, EmptyKeysGiveZeros) {
  for (int p : available_paths()) {
    Inputs in;
    in.q = test::random_tensor({2, 2, 5, 8}, 31);
    in.k = Tensor::empty({2, 2, 0, 8});
    in.v = Tensor::empty({2, 2, 0, 6});
    const Tensor got = run_path(kPaths[p], in, {});
    ASSERT_EQ(got.shape(), (Shape{2, 2, 5, 6}));
    const Tensor c = got.contiguous();
    for (int64_t i = 0; i < c.numel(); ++i) EXPECT_EQ(c.data<float>()[i], 0.0f) << kPaths[p].name;
  }
}

TEST(Attention, EmptyQueries) {
  for (int p : available_paths()) {
    Inputs in;
    in.q = Tensor::empty({1, 2, 0, 8});
    in.k = test::random_tensor({1, 2, 4, 8}, 41);
    in.v = test::random_tensor({1, 2, 4, 8}, 42);
    EXPECT_EQ(run_path(kPaths[p], in, {}).shape(), (Shape{1, 2, 0, 8}));
  }
}

// What the flash kernels decline goes to the reference backend.
TEST(Attention, DeclinedCasesUseReference) {
  const Tensor q = test::random_tensor({1, 1, 3, 0}, 51);
  const Tensor k = test::random_tensor({1, 1, 4, 0}, 52);
  const Tensor v = test::random_tensor({1, 1, 4, 5}, 53);
  Tensor out = Tensor::empty({1, 1, 3, 5});
  EXPECT_NE(cpu::attention_flash_declines(q, k, v, {}, out), nullptr);
  const Tensor strided = test::random_tensor({1, 1, 3, 8}, 54).slice(3, 0, 8, 2);
  EXPECT_NE(cpu::attention_flash_declines(strided, strided, strided, {}, out), nullptr);
  EXPECT_EQ(cpu::attention_flash_declines(test::random_tensor({1, 1, 3, 4}, 55), test::random_tensor({1, 1, 4, 4}, 56),
                                          v, {}, out),
            nullptr);
  // Not unit-stride along D: CpuBackend hands the call to the reference, so the results are equal.
  const Tensor k2 = strided.slice(2, 0, 3);
  Tensor got = Tensor::empty({1, 1, 3, 4}), want = Tensor::empty({1, 1, 3, 4});
  cpu_backend().attention(strided, k2, k2, {}, {}, got);
  reference_backend().attention(strided, k2, k2, {}, {}, want);
  EXPECT_EQ(test::compare(got, want).max_abs, 0.0);
}

}  // namespace
}  // namespace ad

// Backend comparison, GEMM family (oneDNN in the CPU backend): linear (strided rows, bias or
// not, every epilogue, F16/BF16 weights, M/K/N of 1), batched matmul (views, broadcast batch),
// conv2d (NCHW / channels-last in and out, stride 2, asymmetric padding, 1x1 and 3x3, odd
// sizes, epilogues), with real SD1.5 UNet shapes checked on a slice; plus the weight cache.
#include "backend/cpu/weight_cache.h"
#include "core/arena.h"
#include "test_backend_ops.h"

namespace ad::test {
namespace {

constexpr Tolerance kGemmTolerance{1e-5, 1e-11};

const char* activation_name(Activation a) {
  switch (a) {
    case Activation::None: return "none";
    case Activation::Silu: return "silu";
    case Activation::Gelu: return "gelu";
    case Activation::GeluTanh: return "gelu_tanh";
    case Activation::QuickGelu: return "quick_gelu";
  }
  return "?";
}

struct LinearSpec {
  Shape x;  // [..., K]
  int64_t n = 0;
  Layout x_layout = Layout::Contiguous;
  DType weight = DType::F32;
  bool bias = true;
  Activation activation = Activation::None;
  bool residual = false;
  Layout residual_layout = Layout::Contiguous;
  int64_t subset_rows = 0;  // > 0: reference on the first rows only (x must be 2-D)
};

OpCase linear_case(const LinearSpec& s) {
  OpCase c;
  c.op = "linear";
  c.vars = "x=" + shape_string(s.x) + ":" + layout_name(s.x_layout) + ",n=" + std::to_string(s.n) +
           ",w=" + std::string(dtype_name(s.weight)) + ",bias=" + (s.bias ? "1" : "0") +
           ",act=" + activation_name(s.activation) +
           ",residual=" + (s.residual ? layout_name(s.residual_layout) : "none") +
           (s.subset_rows ? ",checked_rows=" + std::to_string(s.subset_rows) : "");
  c.tolerance = kGemmTolerance;
  auto run = [s](int64_t rows) {
    const int64_t K = s.x[s.x.size() - 1];
    Tensor x = make_input(s.x, s.x_layout, 31);
    Shape out_shape = s.x;
    out_shape[out_shape.size() - 1] = s.n;
    Epilogue e;
    e.activation = s.activation;
    if (s.residual) e.residual = make_input(out_shape, s.residual_layout, 34);
    if (rows > 0) {
      x = x.slice(0, 0, rows);
      if (e.residual.defined()) e.residual = e.residual.slice(0, 0, rows);
    }
    const Tensor w = make_weight({s.n, K}, s.weight, 32, -0.2f, 0.2f);
    const Tensor b = s.bias ? make_weight({s.n}, s.weight, 33) : Tensor();
    return ops::linear(x, w, b, e);
  };
  c.run = [run] { return run(0); };
  if (s.subset_rows > 0) {
    c.run_subset = [run, s] { return run(s.subset_rows); };
    c.pick = [s](const Tensor& full) { return full.slice(0, 0, s.subset_rows); };
  }
  return c;
}

std::vector<OpCase> linear_cases() {
  using L = Layout;
  using A = Activation;
  std::vector<OpCase> cases;
  auto add = [&](LinearSpec s) { cases.push_back(linear_case(s)); };
  add({{1, 1}, 1});
  add({{1, 7}, 5});
  add({{13, 1}, 7});
  add({{13, 33}, 7, L::Sliced});
  add({{2, 7, 33}, 13, L::Sliced, DType::F32, false});
  add({{7, 13}, 5, L::Permuted});  // rows not unit-stride: ops copies them
  add({{4, 33}, 7, L::Expanded});  // stride-0 rows: the reference
  add({{5, 33}, 13, L::Contiguous, DType::F16});
  add({{5, 33}, 13, L::Contiguous, DType::BF16, false});
  for (A a : {A::None, A::Silu, A::Gelu, A::GeluTanh, A::QuickGelu}) {
    add({{9, 40}, 24, L::Contiguous, DType::F32, true, a, false});
    add({{9, 40}, 24, L::Sliced, DType::F32, a == A::Gelu, a, true});
  }
  add({{3, 5, 40}, 24, L::Contiguous, DType::F32, true, A::None, true, L::Sliced});
  add({{6, 40}, 24, L::Contiguous, DType::F32, true, A::Silu, true, L::Permuted});
  // Real SD1.5 shapes: cross-attention K/V, time embedding, GEGLU in / out, proj_in.
  add({{2, 77, 768}, 320, L::Contiguous, DType::F16, false});
  add({{2, 1280}, 320, L::Contiguous, DType::F32, true, A::Silu});
  add({{4096, 320}, 2560, L::Contiguous, DType::F32, true, A::None, false, L::Contiguous, 48});
  add({{4096, 1280}, 320, L::Contiguous, DType::F16, true, A::None, true, L::Contiguous, 32});
  add({{1024, 640}, 5120, L::Sliced, DType::BF16, true, A::None, false, L::Contiguous, 16});
  return cases;
}

struct MatmulSpec {
  Shape a, b;
  Layout a_layout = Layout::Contiguous, b_layout = Layout::Contiguous;
};

OpCase matmul_case(const MatmulSpec& s) {
  OpCase c;
  c.op = "matmul";
  c.vars = "a=" + shape_string(s.a) + ":" + layout_name(s.a_layout) + ",b=" + shape_string(s.b) + ":" +
           layout_name(s.b_layout);
  c.tolerance = kGemmTolerance;
  c.run = [s] { return ops::matmul(make_input(s.a, s.a_layout, 41), make_input(s.b, s.b_layout, 42)); };
  return c;
}

std::vector<OpCase> matmul_cases() {
  using L = Layout;
  return {matmul_case({{1, 1}, {1, 1}}),
          matmul_case({{7, 5}, {5, 3}}),
          matmul_case({{3, 13, 33}, {3, 33, 7}, L::Contiguous, L::Permuted}),
          matmul_case({{3, 13, 33}, {3, 33, 7}, L::Sliced, L::Sliced}),
          matmul_case({{1, 13, 5}, {4, 5, 7}}),
          matmul_case({{4, 13, 5}, {4, 5, 7}, L::Expanded, L::Contiguous}),
          matmul_case({{2, 3, 7, 1}, {2, 3, 1, 9}}),
          matmul_case({{2, 8, 77, 40}, {2, 8, 40, 77}, L::Contiguous, L::Permuted}),
          matmul_case({{16, 256, 64}, {16, 64, 77}})};
}

struct ConvSpec {
  int64_t n, c, o, h, w, k;
  int stride = 1;
  int pad_top = -1, pad_bottom = 0, pad_left = 0, pad_right = 0;  // pad_top < 0: k / 2 everywhere
  Layout x_layout = Layout::ChannelsLast;
  bool channels_last_out = true;
  DType weight = DType::F32;
  bool bias = true;
  Activation activation = Activation::None;
  bool residual = false;
  Layout residual_layout = Layout::ChannelsLast;
  int64_t subset_out = 0;  // > 0: reference on the first output channels only
};

OpCase conv_case(const ConvSpec& s) {
  Conv2dOptions o = Conv2dOptions::same(static_cast<int>(s.k), s.stride);
  if (s.pad_top >= 0) {
    o.pad_top = s.pad_top;
    o.pad_bottom = s.pad_bottom;
    o.pad_left = s.pad_left;
    o.pad_right = s.pad_right;
  }
  o.channels_last = s.channels_last_out;
  OpCase c;
  c.op = "conv2d";
  c.vars = "x=" + shape_string({s.n, s.c, s.h, s.w}) + ":" + layout_name(s.x_layout) + ",o=" + std::to_string(s.o) +
           ",k=" + std::to_string(s.k) + ",stride=" + std::to_string(s.stride) + ",pad=" + std::to_string(o.pad_top) +
           std::to_string(o.pad_bottom) + std::to_string(o.pad_left) + std::to_string(o.pad_right) +
           ",out=" + (s.channels_last_out ? "channels_last" : "nchw") + ",w=" + std::string(dtype_name(s.weight)) +
           ",bias=" + (s.bias ? "1" : "0") + ",act=" + activation_name(s.activation) +
           ",residual=" + (s.residual ? layout_name(s.residual_layout) : "none") +
           (s.subset_out ? ",checked_channels=" + std::to_string(s.subset_out) : "");
  c.tolerance = kGemmTolerance;
  auto run = [s, o](int64_t channels) {
    const Tensor x = make_input({s.n, s.c, s.h, s.w}, s.x_layout, 51);
    Tensor w = make_weight({s.o, s.c, s.k, s.k}, s.weight, 52, -0.1f, 0.1f);
    Tensor b = s.bias ? make_weight({s.o}, s.weight, 53) : Tensor();
    const int64_t oh = (s.h + o.pad_top + o.pad_bottom - s.k) / s.stride + 1;
    const int64_t ow = (s.w + o.pad_left + o.pad_right - s.k) / s.stride + 1;
    Epilogue e;
    e.activation = s.activation;
    if (s.residual) e.residual = make_input({s.n, s.o, oh, ow}, s.residual_layout, 54);
    if (channels > 0) {
      w = w.slice(0, 0, channels);
      if (b.defined()) b = b.slice(0, 0, channels);
      if (e.residual.defined()) e.residual = e.residual.slice(1, 0, channels);
    }
    return ops::conv2d(x, w, b, o, e);
  };
  c.run = [run] { return run(0); };
  if (s.subset_out > 0) {
    c.run_subset = [run, s] { return run(s.subset_out); };
    c.pick = [s](const Tensor& full) { return full.slice(1, 0, s.subset_out); };
  }
  return c;
}

std::vector<OpCase> conv_cases() {
  using L = Layout;
  using A = Activation;
  std::vector<OpCase> cases;
  auto add = [&](ConvSpec s) { cases.push_back(conv_case(s)); };
  add({1, 3, 5, 7, 5, 3});
  add({2, 13, 7, 7, 5, 3, 1, -1, 0, 0, 0, L::Contiguous, false});
  add({2, 13, 7, 7, 5, 3, 1, -1, 0, 0, 0, L::Contiguous, true});
  add({2, 13, 7, 7, 5, 3, 1, -1, 0, 0, 0, L::ChannelsLast, false});
  add({1, 5, 3, 9, 9, 3, 2});                          // stride 2
  add({1, 8, 8, 9, 9, 3, 2, 0, 1, 0, 1});              // VAE downsample: pad (0, 1, 0, 1)
  add({1, 8, 8, 8, 8, 3, 2, 0, 1, 0, 1, L::Contiguous, false});
  add({2, 13, 7, 5, 7, 1, 1, -1, 0, 0, 0, L::ChannelsLast, true, DType::F32, false});  // 1x1, no bias
  add({1, 33, 13, 6, 5, 1, 1, -1, 0, 0, 0, L::Contiguous, false, DType::F16});
  add({1, 16, 8, 6, 6, 3, 1, -1, 0, 0, 0, L::ChannelsLast, true, DType::BF16});
  add({1, 16, 8, 6, 6, 3, 1, -1, 0, 0, 0, L::Sliced, true});   // non-dense input
  add({1, 1, 1, 1, 1, 1});
  for (A a : {A::None, A::Silu, A::Gelu}) {
    add({2, 16, 8, 6, 6, 3, 1, -1, 0, 0, 0, L::ChannelsLast, true, DType::F32, true, a, true, L::ChannelsLast});
    add({1, 16, 8, 6, 6, 3, 1, -1, 0, 0, 0, L::Contiguous, false, DType::F32, true, a, true, L::Contiguous});
  }
  add({1, 16, 8, 6, 6, 3, 1, -1, 0, 0, 0, L::ChannelsLast, true, DType::F32, true, A::None, true, L::Contiguous});
  add({1, 16, 8, 6, 6, 3, 1, -1, 0, 0, 0, L::ChannelsLast, true, DType::F32, true, A::Silu, false});
  // Real SD1.5 UNet / VAE shapes (reference on a few output channels).
  add({1, 320, 320, 64, 64, 3, 1, -1, 0, 0, 0, L::ChannelsLast, true, DType::F16, true, A::None, true,
       L::ChannelsLast, 2});
  add({2, 640, 640, 32, 32, 3, 1, -1, 0, 0, 0, L::ChannelsLast, true, DType::F32, true, A::None, false,
       L::ChannelsLast, 2});
  add({2, 1280, 1280, 8, 8, 3, 1, -1, 0, 0, 0, L::ChannelsLast, true, DType::F32, true, A::None, true,
       L::ChannelsLast, 4});
  add({2, 320, 320, 64, 64, 3, 2, -1, 0, 0, 0, L::ChannelsLast, true, DType::F32, true, A::None, false,
       L::ChannelsLast, 2});
  add({2, 640, 320, 32, 32, 1, 1, -1, 0, 0, 0, L::ChannelsLast, true, DType::F32, true, A::None, false,
       L::ChannelsLast, 8});
  add({2, 4, 320, 64, 64, 3, 1, -1, 0, 0, 0, L::Contiguous, true, DType::F32, true, A::None, false,
       L::ChannelsLast, 16});
  add({2, 320, 4, 64, 64, 3, 1, -1, 0, 0, 0, L::ChannelsLast, false});
  return cases;
}

AD_BACKEND_OPS_SUITE(LinearOps, linear_cases());
AD_BACKEND_OPS_SUITE(MatmulOps, matmul_cases());
AD_BACKEND_OPS_SUITE(Conv2dOps, conv_cases());

// Max difference relative to the largest reference value (f32 sums of a few hundred terms).
double max_diff(const Tensor& got, const Tensor& want) {
  const double scale = std::max(1.0, compare(want, Tensor::zeros(want.shape())).max_abs);
  return compare(got, want).max_abs / scale;
}

Tensor reference_conv(const Tensor& x, const Tensor& w, const Tensor& b) {
  BackendOverride reference(reference_backend());
  return ops::conv2d(x, w, b, Conv2dOptions::same(3));
}

// The cache returns the prepared weight again for the same tensor, never for a freed one whose
// address was reused, and notices a weight rewritten in place.
TEST(WeightCache, HitsReuseAndInvalidation) {
  auto& cache = cpu::WeightCache::instance();
  cache.clear();
  const Tensor x = make_input({1, 8, 6, 6}, Layout::ChannelsLast, 61);
  const Tensor b = make_weight({16}, DType::F32, 62);
  Tensor w = make_weight({16, 8, 3, 3}, DType::F16, 63);
  const auto before = cache.stats();
  const Tensor first = ops::conv2d(x, w, b, Conv2dOptions::same(3));
  const Tensor second = ops::conv2d(x, w, b, Conv2dOptions::same(3));
  EXPECT_EQ(max_diff(first, second), 0.0);
  EXPECT_EQ(cache.stats().hits, before.hits + 1);
  EXPECT_LT(max_diff(first, reference_conv(x, w, b)), 1e-5);

  // In-place rewrite: new values in the same storage.
  w.copy_from(make_weight({16, 8, 3, 3}, DType::F16, 64));
  EXPECT_LT(max_diff(ops::conv2d(x, w, b, Conv2dOptions::same(3)), reference_conv(x, w, b)), 1e-5);

  // Freed weights: arena blocks come back at the same address with other values.
  Arena arena(size_t{4} << 20);
  ArenaScope scope(arena);
  for (uint64_t seed = 70; seed < 75; ++seed) {
    const Tensor fresh = make_weight({16, 8, 3, 3}, DType::F32, seed);
    EXPECT_LT(max_diff(ops::conv2d(x, fresh, b, Conv2dOptions::same(3)), reference_conv(x, fresh, b)), 1e-5)
        << "seed " << seed;
  }
}

// Within the budget the first weights stay (and keep hitting); later ones are prepared per call.
TEST(WeightCache, BudgetKeepsTheWeightsThatFit) {
  auto& cache = cpu::WeightCache::instance();
  cache.clear();
  const size_t budget = cache.stats().budget;
  const size_t room = size_t{160} << 10;  // two prepared 64x32x3x3 F32 weights (72 KiB each)
  cache.set_budget(room);
  const size_t hits_before = cache.stats().hits;
  const Tensor x = make_input({1, 32, 6, 6}, Layout::ChannelsLast, 81);
  std::vector<Tensor> weights;
  for (uint64_t seed = 0; seed < 6; ++seed) weights.push_back(make_weight({64, 32, 3, 3}, DType::BF16, 90 + seed));
  for (int pass = 0; pass < 2; ++pass)
    for (const Tensor& w : weights) {
      EXPECT_LT(max_diff(ops::conv2d(x, w, Tensor(), Conv2dOptions::same(3)), reference_conv(x, w, Tensor())), 1e-5);
      EXPECT_LE(cache.stats().bytes, room);
    }
  const auto stats = cache.stats();
  EXPECT_EQ(stats.entries, 2u);
  EXPECT_EQ(stats.hits - hits_before, 2u);  // the first two weights, in the second pass
  cache.set_budget(0);        // disabled: still correct, nothing kept
  EXPECT_LT(max_diff(ops::conv2d(x, weights[0], Tensor(), Conv2dOptions::same(3)),
                     reference_conv(x, weights[0], Tensor())),
            1e-5);
  EXPECT_EQ(cache.stats().entries, 0u);
  cache.set_budget(budget);
}

}  // namespace
}  // namespace ad::test

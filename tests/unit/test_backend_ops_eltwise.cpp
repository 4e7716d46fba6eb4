// Backend comparison, element-wise family: binary ops with every broadcast pattern the loop
// planner distinguishes, unary ops (including special values), GEGLU, nearest upsampling and
// the embedding lookup; plus the accuracy of the vectorised exp / erf / tanh against double.
#include <cmath>
#include <limits>

#include "backend/cpu/vec_math.h"
#include "test_backend_ops.h"

namespace ad::test {
namespace {

using BinaryFn = Tensor (*)(const Tensor&, const Tensor&);

struct BinaryOpInfo {
  const char* name;
  BinaryFn fn;
};
const BinaryOpInfo kBinaryOps[] = {{"add", ops::add}, {"sub", ops::sub}, {"mul", ops::mul}, {"div", ops::div}};

// a (shape_a, layout_a) op b (shape_b, layout_b); b in [0.5, 1.5) so division is tame.
OpCase binary_case(const BinaryOpInfo& op, const Shape& shape_a, Layout layout_a, const Shape& shape_b,
                   Layout layout_b) {
  OpCase c;
  c.op = op.name;
  c.vars = "a=" + shape_string(shape_a) + ":" + layout_name(layout_a) + ",b=" + shape_string(shape_b) + ":" +
           layout_name(layout_b);
  c.tolerance = {1e-7, 1e-14};  // same float operation on both sides: exact
  c.run = [=] {
    Tensor a = make_input(shape_a, layout_a, 1);
    Tensor b = make_input(shape_b, layout_b, 2, 0.5f, 1.5f);
    return op.fn(a, b);
  };
  return c;
}

std::vector<OpCase> binary_cases() {
  std::vector<OpCase> cases;
  for (const auto& op : kBinaryOps) {
    cases.push_back(binary_case(op, {7, 13}, Layout::Contiguous, {7, 13}, Layout::Contiguous));
    cases.push_back(binary_case(op, {3, 5, 7}, Layout::Permuted, {3, 5, 7}, Layout::Contiguous));
    cases.push_back(binary_case(op, {2, 33, 5, 7}, Layout::Contiguous, {1, 33, 1, 1}, Layout::Contiguous));
    cases.push_back(binary_case(op, {2, 33, 5, 7}, Layout::ChannelsLast, {33, 1, 1}, Layout::Contiguous));
    cases.push_back(binary_case(op, {13, 33}, Layout::Contiguous, {13, 1}, Layout::Contiguous));
    cases.push_back(binary_case(op, {5, 7, 3}, Layout::Contiguous, {1}, Layout::Contiguous));
    cases.push_back(binary_case(op, {1}, Layout::Contiguous, {5, 7}, Layout::Contiguous));
    cases.push_back(binary_case(op, {5, 1, 7}, Layout::Contiguous, {1, 3, 1}, Layout::Contiguous));
    cases.push_back(binary_case(op, {9, 33}, Layout::Sliced, {9, 33}, Layout::Sliced));
    cases.push_back(binary_case(op, {4, 33}, Layout::Expanded, {4, 33}, Layout::Permuted));
    cases.push_back(binary_case(op, {1}, Layout::Contiguous, {1}, Layout::Contiguous));
  }
  // Real sizes: the time-embedding add into a channels-last conv output, and a dense add.
  cases.push_back(binary_case(kBinaryOps[0], {2, 320, 64, 64}, Layout::ChannelsLast, {2, 320, 1, 1},
                              Layout::Contiguous));
  cases.push_back(binary_case(kBinaryOps[2], {2, 320, 64, 64}, Layout::ChannelsLast, {2, 320, 64, 64},
                              Layout::ChannelsLast));
  cases.push_back(binary_case(kBinaryOps[0], {2, 640, 32, 32}, Layout::Contiguous, {2, 640, 1, 1},
                              Layout::Contiguous));
  {
    OpCase c;  // in place, as ResnetBlock2D adds the time embedding
    c.op = "add_";
    c.vars = "a=2x320x16x16:channels_last,b=2x320x1x1";
    c.tolerance = {1e-7, 1e-14};
    c.run = [] {
      Tensor h = make_input({2, 320, 16, 16}, Layout::ChannelsLast, 3);
      ops::add_(h, make_input({2, 320}, Layout::Contiguous, 4).view(Shape{2, 320, 1, 1}));
      return h;
    };
    cases.push_back(c);
  }
  return cases;
}

struct UnaryOpInfo {
  const char* name;
  std::function<Tensor(const Tensor&)> fn;
  double max_abs;
};
// ops.h has no tanh (models use it only inside gelu_tanh); call the backend op directly.
Tensor tanh_through_backend(const Tensor& x) {
  Tensor out = x.is_dense() ? Tensor::empty_like(x) : Tensor::empty(x.shape());
  backend_for(x.device()).unary(UnaryOp::Tanh, {}, x, out);
  return out;
}

const UnaryOpInfo kUnaryOps[] = {
    {"silu", ops::silu, 2e-6},
    {"gelu", ops::gelu, 2e-6},
    {"gelu_tanh", ops::gelu_tanh, 2e-6},
    {"quick_gelu", ops::quick_gelu, 2e-6},
    {"sigmoid", ops::sigmoid, 2e-6},
    {"exp", ops::exp, 2e-6},
    {"tanh", tanh_through_backend, 1e-6},
    {"affine", [](const Tensor& x) { return ops::affine(x, 0.37f, -1.25f); }, 1e-7},
    {"clamp", [](const Tensor& x) { return ops::clamp(x, -0.5f, 2.0f); }, 0},
};

OpCase unary_case(const UnaryOpInfo& op, const Shape& shape, Layout layout, float range) {
  OpCase c;
  c.op = op.name;
  c.vars = "x=" + shape_string(shape) + ":" + layout_name(layout) + ",range=" + std::to_string(static_cast<int>(range));
  c.tolerance = {op.max_abs, 1e-12};
  c.run = [=] { return op.fn(make_input(shape, layout, 5, -range, range)); };
  return c;
}

// Values where approximations usually break: signed zeros, tiny, huge, +-inf, NaN.
OpCase unary_special_case(const UnaryOpInfo& op) {
  OpCase c;
  c.op = op.name;
  c.vars = "x=special_values";
  c.tolerance = {op.max_abs, 1e-12};
  c.run = [=] {
    const float inf = std::numeric_limits<float>::infinity();
    const std::vector<float> v{0.0f,  -0.0f,  1e-30f, -1e-30f, 1e-6f, -1e-6f, 3.9f,   -3.9f,  4.0f,  -4.0f,
                               7.95f, -7.95f, 20.0f,  -20.0f,  88.0f, -88.0f, 89.0f,  -89.0f, 100.0f, -100.0f,
                               -104.5f, 1e4f, -1e4f,  inf,     -inf,  std::numeric_limits<float>::quiet_NaN()};
    return op.fn(Tensor::from_vector<float>(Shape{static_cast<int64_t>(v.size())}, v));
  };
  return c;
}

std::vector<OpCase> unary_cases() {
  std::vector<OpCase> cases;
  for (const auto& op : kUnaryOps) {
    cases.push_back(unary_case(op, {1}, Layout::Contiguous, 3));
    cases.push_back(unary_case(op, {7}, Layout::Contiguous, 8));
    cases.push_back(unary_case(op, {13, 33}, Layout::Contiguous, 8));
    cases.push_back(unary_case(op, {2, 33, 5, 7}, Layout::Permuted, 8));
    cases.push_back(unary_case(op, {5, 33}, Layout::Sliced, 8));
    cases.push_back(unary_case(op, {3, 13}, Layout::Expanded, 8));
    cases.push_back(unary_case(op, {2, 1280, 16, 16}, Layout::ChannelsLast, 20));
    cases.push_back(unary_special_case(op));
  }
  return cases;
}

OpCase geglu_case(const Shape& shape, Layout layout, int64_t seed) {
  OpCase c;
  c.op = "geglu";
  c.vars = "x=" + shape_string(shape) + ":" + layout_name(layout);
  c.tolerance = {2e-6, 1e-12};
  c.run = [=] { return ops::geglu(make_input(shape, layout, static_cast<uint64_t>(seed), -5, 5)); };
  return c;
}

std::vector<OpCase> geglu_cases() {
  return {geglu_case({2, 10}, Layout::Contiguous, 1),         geglu_case({3, 26}, Layout::Contiguous, 2),
          geglu_case({2, 7, 66}, Layout::Sliced, 3),      geglu_case({5, 14}, Layout::Permuted, 4),
          geglu_case({1, 1024, 2560}, Layout::Contiguous, 5), geglu_case({2, 77, 10240}, Layout::Contiguous, 6)};
}

OpCase upsample_case(const Shape& shape, Layout layout, int scale) {
  OpCase c;
  c.op = "upsample_nearest";
  c.vars = "x=" + shape_string(shape) + ":" + layout_name(layout) + ",scale=" + std::to_string(scale);
  c.tolerance = {0, 0};
  c.run = [=] { return ops::upsample_nearest(make_input(shape, layout, 7), scale); };
  return c;
}

std::vector<OpCase> upsample_cases() {
  return {upsample_case({1, 4, 5, 7}, Layout::Contiguous, 2),     upsample_case({2, 33, 5, 7}, Layout::ChannelsLast, 2),
          upsample_case({1, 3, 4, 5}, Layout::ChannelsLast, 3),   upsample_case({2, 5, 3, 3}, Layout::Permuted, 2),
          upsample_case({1, 6, 4, 4}, Layout::Sliced, 2),         upsample_case({1, 1, 1, 1}, Layout::Contiguous, 1),
          upsample_case({2, 1280, 8, 8}, Layout::ChannelsLast, 2), upsample_case({1, 512, 64, 64}, Layout::Contiguous, 2)};
}

OpCase embedding_case(DType dtype, Layout table_layout, int64_t vocab, int64_t dim) {
  OpCase c;
  c.op = "embedding";
  c.vars = "table=" + std::to_string(vocab) + "x" + std::to_string(dim) + ":" + std::string(dtype_name(dtype)) + ":" +
           layout_name(table_layout) + ",ids=2x77";
  c.tolerance = {0, 0};
  c.run = [=] {
    Tensor table = make_input({vocab, dim}, table_layout, 8);
    if (dtype != DType::F32) {
      Tensor t = Tensor::empty_strided(table.shape(), table.strides(), dtype);
      t.copy_from(table);
      table = t;
    }
    std::vector<int64_t> ids(2 * 77);
    for (size_t i = 0; i < ids.size(); ++i) ids[i] = static_cast<int64_t>((i * 7919) % static_cast<size_t>(vocab));
    return ops::embedding(Tensor::from_vector<int64_t>(Shape{2, 77}, ids), table);
  };
  return c;
}

std::vector<OpCase> embedding_cases() {
  std::vector<OpCase> cases;
  for (DType dtype : {DType::F32, DType::F16, DType::BF16}) {
    cases.push_back(embedding_case(dtype, Layout::Contiguous, 1000, 77));
    cases.push_back(embedding_case(dtype, Layout::Sliced, 333, 64));
    cases.push_back(embedding_case(dtype, Layout::Permuted, 50, 13));
  }
  cases.push_back(embedding_case(DType::F16, Layout::Contiguous, 49408, 768));  // CLIP-L token table
  return cases;
}

AD_BACKEND_OPS_SUITE(BinaryOps, binary_cases());
AD_BACKEND_OPS_SUITE(UnaryOps, unary_cases());
AD_BACKEND_OPS_SUITE(GegluOps, geglu_cases());
AD_BACKEND_OPS_SUITE(UpsampleOps, upsample_cases());
AD_BACKEND_OPS_SUITE(EmbeddingOps, embedding_cases());

// Max error of f against the double function g over [low, high] (2^20 points and the ends).
template <typename F, typename G>
double max_error(F f, G g, double low, double high, bool relative) {
  double worst = 0;
  const int n = 1 << 20;
  for (int i = 0; i <= n; ++i) {
    const float x = static_cast<float>(low + (high - low) * i / n);
    const double want = g(static_cast<double>(x));
    const double err = std::abs(static_cast<double>(f(x)) - want);
    worst = std::max(worst, relative ? err / std::abs(want) : err);
  }
  return worst;
}

TEST(VecMath, ExpRelativeError) {
  // Normal results: relative error within ~1 ulp (2^-23 = 1.19e-7).
  EXPECT_LT(max_error(cpu::exp_f32, [](double x) { return std::exp(x); }, -87.0, 88.7, true), 1.5e-7);
  EXPECT_EQ(cpu::exp_f32(-200.0f), 0.0f);
  EXPECT_EQ(cpu::exp_f32(0.0f), 1.0f);
  EXPECT_TRUE(std::isinf(cpu::exp_f32(89.0f)));
  EXPECT_TRUE(std::isnan(cpu::exp_f32(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_NEAR(cpu::exp_f32(-100.0f), std::exp(-100.0), 1e-45);  // subnormal result
}

TEST(VecMath, ErfAndTanhAbsoluteError) {
  // A few ulp of 1.0 (5.96e-8 just below it), largest near |x| = 3.6 (erf) and 5.8 (tanh).
  EXPECT_LT(max_error(cpu::erf_f32, [](double x) { return std::erf(x); }, -6.0, 6.0, false), 4.5e-7);
  EXPECT_LT(max_error(cpu::tanh_f32, [](double x) { return std::tanh(x); }, -10.0, 10.0, false), 4e-7);
  EXPECT_LT(max_error(cpu::tanh_f32, [](double x) { return std::tanh(x); }, 1e-6, 0.01, true), 3.5e-7);
  EXPECT_EQ(cpu::erf_f32(5.0f), 1.0f);
  EXPECT_EQ(cpu::tanh_f32(-9.0f), -1.0f);
}

}  // namespace
}  // namespace ad::test

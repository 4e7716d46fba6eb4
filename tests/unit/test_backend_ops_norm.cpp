// Backend comparison, normalisation family: softmax, layer_norm, rms_norm and group_norm (NCHW,
// channels-last, 3-D and 5-D [N, C, *], with and without affine parameters, F16/BF16
// parameters, fused SiLU), plus bitwise determinism across runs and thread counts.
#include <cmath>
#include <cstring>
#include <limits>

#include "core/thread_pool.h"
#include "test_backend_ops.h"

namespace ad::test {
namespace {

constexpr Tolerance kNormTolerance{2e-6, 1e-11};

OpCase softmax_case(const Shape& shape, Layout layout, float range, bool masked = false) {
  OpCase c;
  c.op = "softmax";
  c.vars = "x=" + shape_string(shape) + ":" + layout_name(layout) + ",range=" + std::to_string(static_cast<int>(range)) +
           (masked ? ",masked" : "");
  c.tolerance = {1e-6, 1e-11};
  c.run = [=] {
    Tensor x = make_input(shape, layout, 11, -range, range);
    if (masked) {  // -inf in every third position, as an attention mask would put
      Tensor m = x.contiguous().clone();
      for (int64_t i = 0; i < m.numel(); i += 3) m.data<float>()[i] = -std::numeric_limits<float>::infinity();
      x = m;
    }
    return ops::softmax(x);
  };
  return c;
}

std::vector<OpCase> softmax_cases() {
  return {softmax_case({1}, Layout::Contiguous, 1),         softmax_case({7}, Layout::Contiguous, 5),
          softmax_case({3, 13}, Layout::Contiguous, 5),     softmax_case({13, 33}, Layout::Permuted, 5),
          softmax_case({5, 33}, Layout::Sliced, 5),         softmax_case({4, 7}, Layout::Expanded, 5),
          softmax_case({2, 8, 77, 77}, Layout::Contiguous, 30), softmax_case({4, 4096}, Layout::Contiguous, 80),
          softmax_case({3, 40}, Layout::Contiguous, 5, true), softmax_case({2, 20000}, Layout::Contiguous, 10)};
}

// Affine parameters: "f32", "f16", "bf16" or "none" (no weight / bias).
OpCase layer_norm_case(const Shape& shape, Layout layout, const char* params, float offset, bool rms = false,
                       bool bias = true) {
  OpCase c;
  c.op = rms ? "rms_norm" : "layer_norm";
  c.vars = "x=" + shape_string(shape) + ":" + layout_name(layout) + ",params=" + params + (bias ? "" : ",no_bias") +
           ",offset=" + std::to_string(static_cast<int>(offset));
  c.tolerance = kNormTolerance;
  const std::string p = params;
  c.run = [=] {
    const int64_t n = shape[shape.size() - 1];
    const Tensor x = make_input(shape, layout, 12, offset - 1.0f, offset + 1.0f);
    Tensor w, b;
    if (p != "none") {
      const DType dtype = p == "f16" ? DType::F16 : p == "bf16" ? DType::BF16 : DType::F32;
      w = make_weight({n}, dtype, 13, 0.5f, 1.5f);
      if (bias) b = make_weight({n}, dtype, 14);
    }
    return rms ? ops::rms_norm(x, w, 1e-6f) : ops::layer_norm(x, w, b, 1e-5f);
  };
  return c;
}

std::vector<OpCase> layer_norm_cases() {
  return {
      layer_norm_case({1}, Layout::Contiguous, "f32", 0),
      layer_norm_case({3, 5, 13}, Layout::Contiguous, "f32", 0),
      layer_norm_case({7, 33}, Layout::Sliced, "f32", 0),
      layer_norm_case({13, 33}, Layout::Permuted, "f32", 0),
      layer_norm_case({4, 33}, Layout::Expanded, "f32", 0),
      layer_norm_case({5, 64}, Layout::Contiguous, "none", 0),
      layer_norm_case({5, 64}, Layout::Contiguous, "f32", 0, false, false),
      layer_norm_case({2, 77, 768}, Layout::Contiguous, "f16", 0),
      layer_norm_case({2, 77, 768}, Layout::Contiguous, "bf16", 0),
      layer_norm_case({2, 4096, 320}, Layout::Contiguous, "f32", 0),
      layer_norm_case({2, 1024, 640}, Layout::Contiguous, "f32", 100),  // mean far from 0: cancellation
      layer_norm_case({1, 9000}, Layout::Contiguous, "f32", 3),          // longer than one chunk
      layer_norm_case({1}, Layout::Contiguous, "f32", 0, true),
      layer_norm_case({3, 5, 13}, Layout::Contiguous, "f32", 0, true),
      layer_norm_case({7, 33}, Layout::Sliced, "none", 2, true),
      layer_norm_case({13, 33}, Layout::Permuted, "bf16", 0, true),
      layer_norm_case({2, 24, 154, 64}, Layout::Contiguous, "f16", 0, true),  // SD3 q/k norm shape
      layer_norm_case({1, 9000}, Layout::Contiguous, "f32", 3, true),
  };
}

OpCase group_norm_case(const Shape& shape, Layout layout, int groups, const char* params, bool silu, float offset = 0) {
  OpCase c;
  c.op = "group_norm";
  c.vars = "x=" + shape_string(shape) + ":" + layout_name(layout) + ",groups=" + std::to_string(groups) +
           ",params=" + params + ",silu=" + (silu ? "1" : "0") + ",offset=" + std::to_string(static_cast<int>(offset));
  c.tolerance = kNormTolerance;
  const std::string p = params;
  c.run = [=] {
    const Tensor x = make_input(shape, layout, 15, offset - 2.0f, offset + 2.0f);
    Tensor w, b;
    if (p != "none") {
      const DType dtype = p == "f16" ? DType::F16 : p == "bf16" ? DType::BF16 : DType::F32;
      w = make_weight({shape[1]}, dtype, 16, 0.5f, 1.5f);
      b = make_weight({shape[1]}, dtype, 17);
    }
    return ops::group_norm(x, groups, w, b, 1e-6f, silu);
  };
  return c;
}

std::vector<OpCase> group_norm_cases() {
  using L = Layout;
  return {
      // Real SD1.5 shapes, both memory formats.
      group_norm_case({2, 320, 64, 64}, L::ChannelsLast, 32, "f32", true),
      group_norm_case({2, 320, 64, 64}, L::Contiguous, 32, "f32", true),
      group_norm_case({1, 1280, 8, 8}, L::ChannelsLast, 32, "f16", false),
      group_norm_case({2, 640, 32, 32}, L::ChannelsLast, 32, "f32", false, 50),
      // Odd sizes and group counts.
      group_norm_case({1, 64, 13, 7}, L::Contiguous, 32, "f32", false),
      group_norm_case({2, 33, 5, 7}, L::ChannelsLast, 3, "f32", true),
      group_norm_case({2, 33, 5, 7}, L::Contiguous, 11, "bf16", false),
      group_norm_case({1, 33, 1, 1}, L::Contiguous, 33, "f32", false),
      group_norm_case({3, 7, 1, 5}, L::ChannelsLast, 1, "none", false),
      group_norm_case({2, 6, 3, 3}, L::Permuted, 2, "f32", true),
      group_norm_case({2, 6, 3, 3}, L::Sliced, 3, "f32", false),
      group_norm_case({2, 6, 3, 3}, L::Expanded, 3, "f32", false),
      // [N, C, L] and [N, C, F, H, W] (AnimateDiff motion modules: channels-last frames).
      group_norm_case({2, 32, 77}, L::Contiguous, 8, "f32", false),
      group_norm_case({2, 32, 77}, L::ChannelsLast, 8, "f32", true),
      group_norm_case({1, 320, 16, 8, 8}, L::ChannelsLast, 32, "f32", false),
      group_norm_case({1, 320, 16, 8, 8}, L::Contiguous, 32, "f16", true),
      group_norm_case({2, 64, 3, 5, 7}, L::Permuted, 32, "f32", false),
  };
}

AD_BACKEND_OPS_SUITE(SoftmaxOps, softmax_cases());
AD_BACKEND_OPS_SUITE(LayerNormOps, layer_norm_cases());
AD_BACKEND_OPS_SUITE(GroupNormOps, group_norm_cases());

bool bitwise_equal(const Tensor& a, const Tensor& b) {
  const Tensor ca = a.contiguous(), cb = b.contiguous();
  return a.shape() == b.shape() && std::memcmp(ca.raw_data(), cb.raw_data(), ca.nbytes()) == 0;
}

// The channels-last group norm splits positions into a fixed number of blocks, so its result
// does not depend on how many threads ran them; row ops are per row anyway.
TEST(BackendOpsDeterminism, NormsBitwiseAcrossRunsAndThreadCounts) {
  const Tensor x = make_input({2, 320, 32, 32}, Layout::ChannelsLast, 21);
  const Tensor w = make_weight({320}, DType::F32, 22), b = make_weight({320}, DType::F32, 23);
  const Tensor rows = make_input({2, 1024, 320}, Layout::Contiguous, 24);
  auto run = [&] {
    return std::vector<Tensor>{ops::group_norm(x, 32, w, b, 1e-6f, true),
                               ops::group_norm(x.contiguous(), 32, w, b, 1e-6f, false),
                               ops::layer_norm(rows, w, b, 1e-5f), ops::softmax(rows)};
  };
  const auto first = run();
  const auto second = run();
  const int threads = ThreadPool::threads();
  ThreadPool::set_threads(1);
  const auto single = run();
  ThreadPool::set_threads(threads);
  for (size_t i = 0; i < first.size(); ++i) {
    EXPECT_TRUE(bitwise_equal(first[i], second[i])) << "output " << i << " differs between runs";
    EXPECT_TRUE(bitwise_equal(first[i], single[i])) << "output " << i << " differs with 1 thread";
  }
}

}  // namespace
}  // namespace ad::test

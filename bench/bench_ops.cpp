// Op-level benchmarks of the CPU backend at SD1.5 UNet shapes: the machine's f32 GEMM peak (a
// 4096^3 oneDNN matmul, best of several), then linear / conv2d as GFLOP/s and % of that peak,
// and the memory-bound ops (group_norm, layer_norm, softmax, geglu, element-wise) as GB/s of
// their minimum traffic (each input read once, each output written once). `_reference` rows run
// the reference backend for the speed-up; `_nocache` rows disable the prepared-weight cache.
//
//   ./build/bench/bench_ops [--benchmark_filter=conv] [--benchmark_format=csv|json]
// Results and the exact commands: docs/performance.md.
#include <benchmark/benchmark.h>

#include <chrono>
#include <functional>
#include <random>

#include "backend/backend.h"
#include "backend/cpu/weight_cache.h"
#include "backend/ops.h"

namespace {

using namespace ad;
using Clock = std::chrono::steady_clock;

Tensor random_tensor(const Shape& shape, uint64_t seed) {
  std::mt19937 rng(static_cast<uint32_t>(seed));
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  Tensor t = Tensor::empty(shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

Tensor channels_last(const Tensor& t) { return ops::to_channels_last(t); }

double seconds_of(const std::function<void()>& fn) {
  const auto start = Clock::now();
  fn();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// f32 GEMM peak of this machine: the best of 5 runs of a 4096^3 matmul (ops::linear).
double peak_gflops() {
  static const double peak = [] {
    const Tensor a = random_tensor({4096, 4096}, 1), w = random_tensor({4096, 4096}, 2);
    double best = 0;
    for (int i = 0; i < 5; ++i) {
      const double s = seconds_of([&] { benchmark::DoNotOptimize(ops::linear(a, w, {})); });
      best = std::max(best, 2.0 * 4096.0 * 4096.0 * 4096.0 / s / 1e9);
    }
    return best;
  }();
  return peak;
}

// Runs fn per iteration; reports GFLOP/s (flops > 0) or GB/s (bytes > 0) over all iterations
// and for the best one, and % of peak from the best iteration (the peak is a best-of too, so
// both stay comparable when other processes share the two cores).
void run(benchmark::State& state, double flops, double bytes, const std::function<void()>& fn) {
  const double peak = flops > 0 ? peak_gflops() : 0;
  fn();  // warm-up: arena chunks, oneDNN kernels, prepared weights
  double total = 0, best = 1e30;
  for (auto _ : state) {
    const double s = seconds_of(fn);
    state.SetIterationTime(s);
    total += s;
    best = std::min(best, s);
  }
  const double n = static_cast<double>(state.iterations());
  if (flops > 0) {
    state.counters["GFLOP/s"] = flops * n / total / 1e9;
    state.counters["best_GFLOP/s"] = flops / best / 1e9;
    state.counters["pct_peak"] = 100.0 * flops / best / 1e9 / peak;
  }
  if (bytes > 0) {
    state.counters["GB/s"] = bytes * n / total / 1e9;
    state.counters["best_GB/s"] = bytes / best / 1e9;
  }
}

void BM_PeakMatmul(benchmark::State& state) {
  const Tensor a = random_tensor({4096, 4096}, 1), w = random_tensor({4096, 4096}, 2);
  run(state, 2.0 * 4096 * 4096 * 4096, 0, [&] { benchmark::DoNotOptimize(ops::linear(a, w, {})); });
  state.counters["peak_GFLOP/s"] = peak_gflops();
}

void BM_Linear(benchmark::State& state, int64_t M, int64_t K, int64_t N, DType weight_dtype) {
  const Tensor x = random_tensor({M, K}, 3);
  const Tensor w = random_tensor({N, K}, 4).to(weight_dtype);
  const Tensor b = random_tensor({N}, 5);
  run(state, 2.0 * M * K * N, 0, [&] { benchmark::DoNotOptimize(ops::linear(x, w, b)); });
}

struct ConvShape {
  int64_t n, c, o, hw, k;
  int stride;
};

void BM_Conv2d(benchmark::State& state, ConvShape s, bool nchw, bool residual, bool cache) {
  const Tensor x0 = random_tensor({s.n, s.c, s.hw, s.hw}, 6);
  const Tensor x = nchw ? x0 : channels_last(x0);
  const Tensor w = random_tensor({s.o, s.c, s.k, s.k}, 7);
  const Tensor b = random_tensor({s.o}, 8);
  Conv2dOptions o = Conv2dOptions::same(static_cast<int>(s.k), s.stride);
  o.channels_last = !nchw;
  const int64_t out_hw = (s.hw + 2 * (s.k / 2) - s.k) / s.stride + 1;
  Epilogue e;
  if (residual) e.residual = nchw ? random_tensor({s.n, s.o, out_hw, out_hw}, 9)
                                  : channels_last(random_tensor({s.n, s.o, out_hw, out_hw}, 9));
  auto& cache_ = cpu::WeightCache::instance();
  const size_t budget = cache_.stats().budget;
  if (!cache) cache_.set_budget(0);
  run(state, 2.0 * s.n * s.o * out_hw * out_hw * s.c * s.k * s.k, 0,
      [&] { benchmark::DoNotOptimize(ops::conv2d(x, w, b, o, e)); });
  cache_.set_budget(budget);
}

void BM_GroupNorm(benchmark::State& state, Shape shape, bool nchw, bool silu, bool reference) {
  const Tensor x = nchw ? random_tensor(shape, 10) : channels_last(random_tensor(shape, 10));
  const Tensor w = random_tensor({shape[1]}, 11), b = random_tensor({shape[1]}, 12);
  BackendOverride backend(reference ? reference_backend() : cpu_backend());
  run(state, 0, 2.0 * 4 * static_cast<double>(x.numel()),
      [&] { benchmark::DoNotOptimize(ops::group_norm(x, 32, w, b, 1e-6f, silu)); });
}

void BM_LayerNorm(benchmark::State& state, Shape shape, bool reference) {
  const Tensor x = random_tensor(shape, 13);
  const Tensor w = random_tensor({shape[shape.size() - 1]}, 14), b = random_tensor({shape[shape.size() - 1]}, 15);
  BackendOverride backend(reference ? reference_backend() : cpu_backend());
  run(state, 0, 2.0 * 4 * static_cast<double>(x.numel()),
      [&] { benchmark::DoNotOptimize(ops::layer_norm(x, w, b, 1e-5f)); });
}

void BM_Softmax(benchmark::State& state, Shape shape, bool reference) {
  const Tensor x = random_tensor(shape, 16);
  BackendOverride backend(reference ? reference_backend() : cpu_backend());
  run(state, 0, 2.0 * 4 * static_cast<double>(x.numel()), [&] { benchmark::DoNotOptimize(ops::softmax(x)); });
}

void BM_Geglu(benchmark::State& state, Shape shape, bool reference) {
  const Tensor x = random_tensor(shape, 17);
  BackendOverride backend(reference ? reference_backend() : cpu_backend());
  run(state, 0, 1.5 * 4 * static_cast<double>(x.numel()), [&] { benchmark::DoNotOptimize(ops::geglu(x)); });
}

void BM_Silu(benchmark::State& state, Shape shape, bool reference) {
  const Tensor x = channels_last(random_tensor(shape, 18));
  BackendOverride backend(reference ? reference_backend() : cpu_backend());
  run(state, 0, 2.0 * 4 * static_cast<double>(x.numel()), [&] { benchmark::DoNotOptimize(ops::silu(x)); });
}

// The time-embedding add: [N, C, H, W] channels-last += [N, C, 1, 1].
void BM_AddChannelVector(benchmark::State& state, Shape shape, bool reference) {
  Tensor h = channels_last(random_tensor(shape, 19));
  const Tensor t = random_tensor({shape[0], shape[1], 1, 1}, 20);
  BackendOverride backend(reference ? reference_backend() : cpu_backend());
  run(state, 0, 2.0 * 4 * static_cast<double>(h.numel()), [&] { ops::add_(h, t); });
}

void BM_UpsampleNearest(benchmark::State& state, Shape shape) {
  const Tensor x = channels_last(random_tensor(shape, 21));
  run(state, 0, 5.0 * 4 * static_cast<double>(x.numel()), [&] { benchmark::DoNotOptimize(ops::upsample_nearest(x, 2)); });
}

void conv(const char* name, ConvShape s, bool nchw = false, bool residual = false, bool cache = true) {
  benchmark::RegisterBenchmark(name, BM_Conv2d, s, nchw, residual, cache)->UseManualTime()->Unit(benchmark::kMillisecond);
}

void linear(const char* name, int64_t M, int64_t K, int64_t N, DType dtype = DType::F32) {
  benchmark::RegisterBenchmark(name, BM_Linear, M, K, N, dtype)->UseManualTime()->Unit(benchmark::kMillisecond);
}

template <typename Fn, typename... Args>
void memory_op(const char* name, Fn fn, Args... args) {
  benchmark::RegisterBenchmark(name, fn, args...)->UseManualTime()->Unit(benchmark::kMillisecond);
}

void register_all() {
  benchmark::RegisterBenchmark("peak/matmul_4096x4096x4096", BM_PeakMatmul)->UseManualTime()->Unit(benchmark::kMillisecond);
  // Linear: [M, K] x [K, N] with M = tokens (64x64 latent: 4096 per image).
  linear("linear/4096x320->320", 4096, 320, 320);
  linear("linear/4096x320->2560_geglu_in", 4096, 320, 2560);
  linear("linear/4096x1280->320_geglu_out", 4096, 1280, 320);
  linear("linear/1024x640->5120_geglu_in", 1024, 640, 5120);
  linear("linear/256x1280->10240_geglu_in", 256, 1280, 10240);
  linear("linear/8192x320->320_batch2", 8192, 320, 320);
  linear("linear/4096x320->2560_f16_weights", 4096, 320, 2560, DType::F16);
  linear("linear/154x768->320_context_kv", 154, 768, 320);
  // Convolutions: 3x3 at each UNet level, batch 1 and 2 (CFG), channels-last.
  conv("conv3x3/n1_320@64x64", {1, 320, 320, 64, 3, 1});
  conv("conv3x3/n2_320@64x64", {2, 320, 320, 64, 3, 1});
  conv("conv3x3/n1_640@32x32", {1, 640, 640, 32, 3, 1});
  conv("conv3x3/n2_640@32x32", {2, 640, 640, 32, 3, 1});
  conv("conv3x3/n1_1280@16x16", {1, 1280, 1280, 16, 3, 1});
  conv("conv3x3/n2_1280@16x16", {2, 1280, 1280, 16, 3, 1});
  conv("conv3x3/n1_1280@8x8", {1, 1280, 1280, 8, 3, 1});
  conv("conv3x3/n2_1280@8x8", {2, 1280, 1280, 8, 3, 1});
  conv("conv3x3/n2_320@64x64_residual", {2, 320, 320, 64, 3, 1}, false, true);
  conv("conv3x3/n2_1280@8x8_residual", {2, 1280, 1280, 8, 3, 1}, false, true);
  conv("conv3x3/n2_320@64x64_nchw", {2, 320, 320, 64, 3, 1}, true);
  conv("conv3x3/n2_320@64x64_stride2", {2, 320, 320, 64, 3, 2});
  conv("conv3x3/n2_4->320@64x64_conv_in", {2, 4, 320, 64, 3, 1});
  conv("conv3x3/n1_1280@8x8_nocache", {1, 1280, 1280, 8, 3, 1}, false, false, false);
  conv("conv3x3/n2_1280@8x8_nocache", {2, 1280, 1280, 8, 3, 1}, false, false, false);
  conv("conv3x3/n2_320@64x64_nocache", {2, 320, 320, 64, 3, 1}, false, false, false);
  conv("conv1x1/n2_640->320@64x64_shortcut", {2, 640, 320, 64, 1, 1});
  conv("conv1x1/n2_2560->1280@8x8_shortcut", {2, 2560, 1280, 8, 1, 1});
  // Memory-bound ops at UNet sizes.
  memory_op("group_norm/2x320x64x64_cl_silu", BM_GroupNorm, Shape{2, 320, 64, 64}, false, true, false);
  memory_op("group_norm/2x320x64x64_nchw_silu", BM_GroupNorm, Shape{2, 320, 64, 64}, true, true, false);
  memory_op("group_norm/2x1280x8x8_cl", BM_GroupNorm, Shape{2, 1280, 8, 8}, false, false, false);
  memory_op("group_norm/2x320x64x64_cl_silu_reference", BM_GroupNorm, Shape{2, 320, 64, 64}, false, true, true);
  memory_op("layer_norm/2x4096x320", BM_LayerNorm, Shape{2, 4096, 320}, false);
  memory_op("layer_norm/2x4096x320_reference", BM_LayerNorm, Shape{2, 4096, 320}, true);
  memory_op("softmax/16x4096x77_cross_attn", BM_Softmax, Shape{16, 4096, 77}, false);
  memory_op("softmax/16x1024x1024", BM_Softmax, Shape{16, 1024, 1024}, false);
  memory_op("softmax/16x4096x77_reference", BM_Softmax, Shape{16, 4096, 77}, true);
  memory_op("geglu/2x4096x2560", BM_Geglu, Shape{2, 4096, 2560}, false);
  memory_op("geglu/2x4096x2560_reference", BM_Geglu, Shape{2, 4096, 2560}, true);
  memory_op("silu/2x320x64x64_cl", BM_Silu, Shape{2, 320, 64, 64}, false);
  memory_op("silu/2x320x64x64_cl_reference", BM_Silu, Shape{2, 320, 64, 64}, true);
  memory_op("add_/2x320x64x64_cl+2x320x1x1", BM_AddChannelVector, Shape{2, 320, 64, 64}, false);
  memory_op("add_/2x320x64x64_cl+2x320x1x1_reference", BM_AddChannelVector, Shape{2, 320, 64, 64}, true);
  memory_op("upsample_nearest/2x1280x16x16_cl", BM_UpsampleNearest, Shape{2, 1280, 16, 16});
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

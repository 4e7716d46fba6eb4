// One whole SD1.5 UNet evaluation at real size (320/640/1280/1280 channels, 8 heads, 77-token
// context of width 768) with random weights made in the process, at 32x32 and 64x64 latents.
// Reports GFLOP/s (FLOPs counted by the ops themselves) and the fraction of the machine's f32
// GEMM peak, measured in the same process with a large matmul.
//
//   ./build/bench/bench_unet [--benchmark_filter=64x64]
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>

#include "backend/flop_counter.h"
#include "backend/ops.h"
#include "core/arena.h"
#include "models/unet/unet.h"
#include "models/unet/unet_keys.h"
#include "models/unet/unet_synthetic.h"

namespace {

using namespace ad;

// f32 GEMM peak: the best of a few 4096x4096x4096 matmuls.
double measure_peak_gflops() {
  static const double peak = [] {
    const Tensor a = Tensor::full({4096, 4096}, 0.5f);
    const Tensor w = Tensor::full({4096, 4096}, 0.25f);
    double best = 0;
    for (int i = 0; i < 4; ++i) {
      const auto start = std::chrono::steady_clock::now();
      const Tensor y = ops::linear(a, w, {});
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      best = std::max(best, 2.0 * 4096.0 * 4096.0 * 4096.0 / s / 1e9);
    }
    return best;
  }();
  return peak;
}

struct Sd15UNet {
  nn::WeightMap map;
  models::UNet2DConditionModel unet;
};

const Sd15UNet& sd15(DType dtype) {
  static std::map<DType, std::unique_ptr<Sd15UNet>> cache;
  auto& slot = cache[dtype];
  if (!slot) {
    slot = std::make_unique<Sd15UNet>();
    slot->map = models::unet_weights(models::synthetic_unet_weights(models::sd15_unet_config(), dtype, 1));
    const nn::Binder b(slot->map);
    slot->unet = models::UNet2DConditionModel::load(b, models::UNetConfig::from_weights(b));
  }
  return *slot;
}

void BM_Sd15UNet(benchmark::State& state, int64_t latent, DType dtype) {
  const double peak = measure_peak_gflops();
  const auto& model = sd15(dtype);
  const Tensor sample = Tensor::full({1, 4, latent, latent}, 0.1f);
  const Tensor t = Tensor::full({1}, 500.0f);
  const Tensor context = Tensor::full({1, 77, 768}, 0.01f);
  model.unet.forward(sample, t, context);  // warm-up: arena chunks, oneDNN kernels
  uint64_t flops = 0;
  for (auto _ : state) {
    FlopCounter::reset();
    benchmark::DoNotOptimize(model.unet.forward(sample, t, context));
    flops = FlopCounter::total();
  }
  const double gflop = static_cast<double>(flops) / 1e9;
  state.counters["GFLOP"] = gflop;
  state.counters["GFLOP/s"] = benchmark::Counter(gflop * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["peak_GFLOP/s"] = peak;
  state.counters["arena_peak_MiB"] = static_cast<double>(Arena::current().stats().peak_bytes_reserved) / (1 << 20);
}

}  // namespace

BENCHMARK_CAPTURE(BM_Sd15UNet, f32_32x32, 32, ad::DType::F32)->Unit(benchmark::kSecond)->Iterations(3);
BENCHMARK_CAPTURE(BM_Sd15UNet, f32_64x64, 64, ad::DType::F32)->Unit(benchmark::kSecond)->Iterations(2);
BENCHMARK_CAPTURE(BM_Sd15UNet, f16_weights_64x64, 64, ad::DType::F16)->Unit(benchmark::kSecond)->Iterations(2);

BENCHMARK_MAIN();

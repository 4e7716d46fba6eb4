// Attention benchmark: the shapes of our models, in GFLOP/s and % of this machine's measured f32
// peak (a 2048^3 oneDNN matmul timed in this program, best of several runs).
//   build/bench/bench_attention [--threads=N] [--benchmark_filter=Sd15] [--benchmark_repetitions=3]
// FLOPs counted: 4 * B * H * Lq * Lk * D (2 for Q K^T, 2 for P V, with Dv = D), halved when causal.
// Inputs are views of [B, L, H*D] projections, as the model passes them; the output is
// ops::attention's ([B, H, Lq, Dv] stored [B, Lq, H, Dv]).
// Groups: Sd15 (self / cross at 512x512), Temporal (AnimateDiff), Mmdit (SD3.5), Text (CLIP, T5),
// Lab (tile-size sweep and the portable kernel on the AVX-512 shapes), OneDnnGemms (the two
// products alone through oneDNN's matmul, with the full score matrix: the unfused yardstick).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "backend/cpu/attention_kernel.h"
#include "backend/ops.h"
#include "core/thread_pool.h"

namespace {

using namespace ad;

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Rates of the 2048^3 oneDNN matmul: by wall time, and by CPU time (flops * threads / process CPU
// seconds: what the threads reach while they run, i.e. discounting time taken by other processes
// on a shared machine). Best of 5 after a warm-up.
struct Peak {
  double wall = 0, cpu = 0;
};

Peak measure_peak() {
  const int64_t n = 2048;
  Tensor a = Tensor::full({1, n, n}, 0.5f), b = Tensor::full({1, n, n}, 0.25f);
  Peak best;
  for (int i = 0; i < 6; ++i) {
    const double cpu_start = process_cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    Tensor c = ops::matmul(a, b);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double cpu = process_cpu_seconds() - cpu_start;
    benchmark::DoNotOptimize(c.raw_data());
    if (i == 0) continue;
    best.wall = std::max(best.wall, 2.0 * n * n * n / s * 1e-9);
    best.cpu = std::max(best.cpu, 2.0 * n * n * n * ThreadPool::threads() / cpu * 1e-9);
  }
  return best;
}

const Peak& peak() {
  static const Peak measured = measure_peak();
  return measured;
}

struct Shape4 {
  int64_t batch, heads, lq, lk, d;
  bool causal = false;
  bool bias = false;  // a full [1, H, Lq, Lk] bias (T5's relative positions)
};

struct Inputs {
  Tensor q, k, v, bias;
};

// [B, L, H*D] filled with a fixed pattern in [-0.5, 0.5), viewed as [B, H, L, D].
Tensor projection(const Shape4& s, int64_t length, int64_t seed) {
  Tensor t = Tensor::empty({s.batch, length, s.heads * s.d});
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<float>((i * seed) % 1000) * 1e-3f - 0.5f;
  return t.view({s.batch, length, s.heads, s.d}).transpose(1, 2);
}

Inputs make_inputs(const Shape4& s) {
  Inputs in;
  in.q = projection(s, s.lq, 7919);
  in.k = projection(s, s.lk, 104729);
  in.v = projection(s, s.lk, 1299709);
  if (s.bias) in.bias = Tensor::full({1, s.heads, s.lq, s.lk}, -0.5f);
  return in;
}

double attention_bytes(const Shape4& s) {
  return 4.0 * static_cast<double>(s.batch * s.heads * s.d) * static_cast<double>(2 * s.lq + 2 * s.lk);
}

double attention_flops(const Shape4& s) {
  return 4.0 * static_cast<double>(s.batch * s.heads) * static_cast<double>(s.lq) * static_cast<double>(s.lk) *
         static_cast<double>(s.d) * (s.causal ? 0.5 : 1.0);
}

// Times body() per iteration after one warm-up call (the same span Google Benchmark times) and
// reports the rates as plain counters: GFLOP/s and % of the measured peak by wall time and by CPU
// time (see Peak), and GB/s of q, k, v and out moved once (the yardstick of the memory-bound
// temporal attention).
template <typename Body>
void run_timed(benchmark::State& state, double flops, double bytes, Body&& body) {
  body();  // warm-up: first touch of the output's pages, oneDNN primitive creation
  double seconds = 0, cpu_seconds = 0;
  for (auto _ : state) {
    const double cpu_start = process_cpu_seconds();
    const auto start = std::chrono::steady_clock::now();
    body();
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    cpu_seconds += process_cpu_seconds() - cpu_start;
  }
  const double total = flops * static_cast<double>(state.iterations());
  const double gflops = total / seconds * 1e-9;
  const double cpu_gflops = total * ThreadPool::threads() / cpu_seconds * 1e-9;
  state.counters["GFLOP/s"] = gflops;
  state.counters["%peak"] = gflops / peak().wall * 100.0;
  state.counters["cpuGFLOP/s"] = cpu_gflops;
  state.counters["%peak_cpu"] = cpu_gflops / peak().cpu * 100.0;
  if (bytes > 0) state.counters["GB/s"] = bytes * static_cast<double>(state.iterations()) / seconds * 1e-9;
}

// Through ops::attention (CpuBackend: the best kernel for this CPU).
void bm_attention(benchmark::State& state, Shape4 s) {
  const Inputs in = make_inputs(s);
  AttentionOptions options;
  options.causal = s.causal;
  run_timed(state, attention_flops(s), attention_bytes(s), [&] {
    Tensor out = ops::attention(in.q, in.k, in.v, options, in.bias);
    benchmark::DoNotOptimize(out.raw_data());
  });
}

// One kernel with explicit tiles (the lab).
void bm_kernel(benchmark::State& state, Shape4 s, cpu::AttentionIsa isa, cpu::AttentionTuning tuning) {
  if (!cpu::attention_isa_supported(isa)) {
    state.SkipWithError("ISA not supported on this CPU");
    return;
  }
  const Inputs in = make_inputs(s);
  AttentionOptions options;
  options.causal = s.causal;
  run_timed(state, attention_flops(s), attention_bytes(s), [&] {
    Tensor out = Tensor::empty({s.batch, s.lq, s.heads, s.d}).transpose(1, 2);
    cpu::attention_flash(in.q, in.k, in.v, {}, options, out, isa, tuning);
    benchmark::DoNotOptimize(out.raw_data());
  });
}

// S = Q K^T and O = S V through oneDNN matmuls (no softmax): what an unfused GEMM path would
// pay for the products alone, with the B*H*Lq*Lk score matrix in memory.
void bm_onednn_gemms(benchmark::State& state, Shape4 s) {
  const Inputs in = make_inputs(s);
  const Tensor q = in.q.contiguous(), kt = in.k.transpose(2, 3).contiguous(), v = in.v.contiguous();
  run_timed(state, attention_flops(s), attention_bytes(s), [&] {
    Tensor scores = ops::matmul(q, kt);   // [B, H, Lq, Lk]
    Tensor out = ops::matmul(scores, v);  // [B, H, Lq, D]
    benchmark::DoNotOptimize(out.raw_data());
  });
}

void bm_peak(benchmark::State& state) {
  const int64_t n = 2048;
  Tensor a = Tensor::full({1, n, n}, 0.5f), b = Tensor::full({1, n, n}, 0.25f);
  run_timed(state, 2.0 * n * n * n, 0.0, [&] {
    Tensor c = ops::matmul(a, b);
    benchmark::DoNotOptimize(c.raw_data());
  });
}

std::string shape_name(const Shape4& s) {
  return fmt::format("B{}_H{}_Lq{}_Lk{}_D{}{}{}", s.batch, s.heads, s.lq, s.lk, s.d, s.causal ? "_causal" : "",
                     s.bias ? "_bias" : "");
}

void register_all() {
  benchmark::RegisterBenchmark("Peak/OneDnnMatmul_2048", bm_peak)->Unit(benchmark::kMillisecond)->UseRealTime();
  auto add = [](const std::string& group, Shape4 s) {
    benchmark::RegisterBenchmark((group + "/" + shape_name(s)).c_str(), bm_attention, s)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  };
  for (int64_t batch : {1, 2}) {
    // SD1.5 UNet at 512x512 (latent 64x64): self-attention per level, then cross-attention (77 tokens).
    add("Sd15Self", {batch, 8, 4096, 4096, 40});
    add("Sd15Self", {batch, 8, 1024, 1024, 80});
    add("Sd15Self", {batch, 8, 256, 256, 160});
    add("Sd15Self", {batch, 8, 64, 64, 160});
    add("Sd15Cross", {batch, 8, 4096, 77, 40});
    add("Sd15Cross", {batch, 8, 1024, 77, 80});
    add("Sd15Cross", {batch, 8, 256, 77, 160});
    add("Sd15Cross", {batch, 8, 64, 77, 160});
  }
  // AnimateDiff temporal attention: (batch 2 x h x w) sequences of F frames, 8 heads.
  add("Temporal", {2 * 4096, 8, 16, 16, 40});
  add("Temporal", {2 * 1024, 8, 16, 16, 80});
  add("Temporal", {2 * 256, 8, 16, 16, 160});
  add("Temporal", {2 * 4096, 8, 32, 32, 40});
  add("Temporal", {2 * 4096, 8, 24, 24, 40});
  // SD3.5 MMDiT joint attention (154 text + 1024 / 4096 image tokens), 24 heads of 64.
  add("Mmdit", {2, 24, 1178, 1178, 64});
  add("Mmdit", {2, 24, 4250, 4250, 64});
  // Text encoders: CLIP-L (causal), T5-XXL with relative position bias.
  add("Text", {1, 12, 77, 77, 64, true});
  add("Text", {1, 64, 512, 512, 64, false, true});

  // Lab: tile sizes of the AVX-512 kernel, and the portable kernel, on a few shapes.
  const Shape4 lab_shapes[] = {{1, 8, 4096, 4096, 40}, {1, 8, 1024, 1024, 80}, {1, 8, 256, 256, 160},
                               {2, 24, 1178, 1178, 64}, {2 * 4096, 8, 16, 16, 40},
                               {64, 8, 16, 16, 40}};  // the last: temporal with all data in cache
  for (const Shape4& s : lab_shapes) {
    for (int qt : {16, 32, 64})
      for (int kb : {64, 128, 256}) {
        const std::string name = fmt::format("Lab/{}/avx512_q{}_kb{}", shape_name(s), qt, kb);
        benchmark::RegisterBenchmark(name.c_str(), bm_kernel, s, cpu::AttentionIsa::Avx512, cpu::AttentionTuning{qt, kb})
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
      }
    benchmark::RegisterBenchmark(("Lab/" + shape_name(s) + "/portable").c_str(), bm_kernel, s,
                                 cpu::AttentionIsa::Portable, cpu::AttentionTuning{})
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  }
  for (const Shape4& s : {Shape4{1, 8, 4096, 4096, 40}, Shape4{1, 8, 1024, 1024, 80}, Shape4{1, 8, 256, 256, 160},
                          Shape4{2, 24, 1178, 1178, 64}})
    benchmark::RegisterBenchmark(("OneDnnGemms/" + shape_name(s)).c_str(), bm_onednn_gemms, s)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
}

// The console output, then a Markdown table of the same runs (mean ± std over repetitions when
// --benchmark_repetitions > 1) for docs/attention.md. JSON: --benchmark_out=FILE.
class MarkdownTableReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& run : runs) {
      if (run.error_occurred) continue;
      const bool repeated = run.repetitions > 1;
      if (repeated && run.run_type != Run::RT_Aggregate) continue;
      if (repeated && run.aggregate_name != "mean" && run.aggregate_name != "stddev") continue;
      std::string name = run.run_name.str();
      if (const size_t at = name.rfind("/real_time"); at != std::string::npos) name.erase(at);
      Row& row = row_for(name);
      Stat& stat = run.aggregate_name == "stddev" ? row.std : row.mean;
      stat.ms = run.GetAdjustedRealTime() * (run.time_unit == benchmark::kMillisecond ? 1.0 : 1e-6);
      for (const char* key : {"GFLOP/s", "%peak", "cpuGFLOP/s", "%peak_cpu", "GB/s"}) {
        const auto it = run.counters.find(key);
        stat.counters[key] = it == run.counters.end() ? -1.0 : it->second.value;
      }
      row.has_std = row.has_std || run.aggregate_name == "stddev";
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    std::printf("\n| benchmark | ms | GFLOP/s | %% of peak | GB/s | GFLOP/s (CPU time) | %% of peak (CPU time) |\n"
                "| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    for (const Row& row : rows_) {
      auto cell = [&](const char* key, const char* format) {
        const double mean = row.mean.counters.at(key), std = row.has_std ? row.std.counters.at(key) : -1.0;
        if (mean < 0) return std::string("-");
        return std::string(fmt::format(fmt::runtime(format), mean)) +
               (std >= 0 ? std::string(fmt::format(fmt::runtime(" ± " + std::string(format)), std)) : "");
      };
      std::printf("| %s | %.3g | %s | %s | %s | %s | %s |\n", row.name.c_str(), row.mean.ms,
                  cell("GFLOP/s", "{:.1f}").c_str(), cell("%peak", "{:.0f}").c_str(), cell("GB/s", "{:.1f}").c_str(),
                  cell("cpuGFLOP/s", "{:.1f}").c_str(), cell("%peak_cpu", "{:.0f}").c_str());
    }
  }

 private:
  struct Stat {
    double ms = 0;
    std::map<std::string, double> counters;
  };
  struct Row {
    std::string name;
    Stat mean, std;
    bool has_std = false;
  };
  Row& row_for(const std::string& name) {
    for (Row& row : rows_)
      if (row.name == name) return row;
    rows_.push_back(Row{name, {}, {}, false});
    return rows_.back();
  }
  std::vector<Row> rows_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  // --threads=N (ours): worker threads for our kernels and oneDNN; default one per core.
  int kept = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--threads=", 0) == 0)
      ad::ThreadPool::set_threads(std::stoi(arg.substr(10)));
    else
      argv[kept++] = argv[i];
  }
  argc = kept;
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  register_all();
  benchmark::AddCustomContext("threads", std::to_string(ad::ThreadPool::threads()));
  benchmark::AddCustomContext("attention_isa", ad::cpu::attention_isa_name(ad::cpu::attention_best_isa()));
  benchmark::AddCustomContext("peak GFLOP/s, oneDNN 2048^3 matmul (wall / CPU time)",
                              fmt::format("{:.1f} / {:.1f}", peak().wall, peak().cpu));
  MarkdownTableReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}

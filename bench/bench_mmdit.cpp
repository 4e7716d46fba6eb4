// SD3 / SD3.5 MMDiT evaluations at real size with random weights made in the process
// (models/mmdit/mmdit_synthetic.h, Stability's single-file key layout): seconds per evaluation
// at batch 1 and per sampling step with classifier-free guidance (batch 2), GFLOP per evaluation
// (counted by the ops), GFLOP/s and % of the machine's f32 GEMM peak (a 4096^3 matmul measured in
// the same process), the process CPU time per thread (an estimate of the time on an idle machine
// when others share it; OpenMP spin-waits count as CPU time, so it errs high), the time of each
// kind of joint block, and the process's peak RSS. One configuration per process, so that the
// peak RSS is that configuration's. Compute is f32; --weights sets the stored type (f16 by
// default: F16 weights are widened per GEMM, or once into the CPU backend's prepared-weight cache
// within its budget, AD_WEIGHT_CACHE_MB).
//
// --blocks N builds only the first N joint blocks (the last one pre-only, as in the real model) at
// the real width and token count; the full model's figures are then extrapolated as
// "rest + sum over the real blocks of the measured time of a block of the same kind" and printed
// as such (SD3.5 Large: 8.1 B parameters, 16 GB in f16, does not fit beside other work here).
//
//   ./build/bench/bench_mmdit [--model sd3_medium|sd35_medium|sd35_large] [--size 512|1024]
//       [--batch 0|1|2] [--evals N] [--weights f16|bf16|f32] [--blocks N] [--threads N]
// Results and the exact commands: docs/performance_sd3.md.
#include <fmt/format.h>
#include <sys/resource.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "backend/cpu/weight_cache.h"
#include "backend/flop_counter.h"
#include "backend/ops.h"
#include "core/arena.h"
#include "core/thread_pool.h"
#include "models/mmdit/mmdit.h"
#include "models/mmdit/mmdit_keys.h"
#include "models/clip/clip_synthetic.h"
#include "models/mmdit/mmdit_synthetic.h"
#include "models/t5/t5_synthetic.h"
#include "models/vae/vae_synthetic.h"
#include "synthetic_files.h"

namespace {

using namespace ad;
using Clock = std::chrono::steady_clock;

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

struct Options {
  std::string model = "sd35_medium";
  int64_t size = 512;
  int batch = 0;  // 0: both 1 and 2
  int evals = 1;
  DType weights = DType::F16;
  int blocks = 0;  // 0: the model's depth
  int threads = 0;
  std::string write_model;  // a directory: write the model's files there instead of timing
};

[[noreturn]] void usage(const std::string& error) {
  fmt::print(stderr,
             "bench_mmdit: {}\nusage: bench_mmdit [--model sd3_medium|sd35_medium|sd35_large] [--size PIXELS] "
             "[--batch 0|1|2] [--evals N] [--weights f16|bf16|f32] [--blocks N] [--threads N]\n"
             "       bench_mmdit --write-model DIR [--model ...] [--weights ...]\n",
             error);
  std::exit(2);
}

int64_t parse_int(const std::string& option, const char* text) {
  char* end = nullptr;
  const long long value = std::strtoll(text, &end, 10);
  if (end == text || *end != '\0' || value < 0) usage(fmt::format("{} expects a non-negative integer, got '{}'", option, text));
  return value;
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string option = argv[i];
    if (i + 1 >= argc) usage(fmt::format("{} expects a value", option));
    const char* value = argv[++i];
    if (option == "--model") o.model = value;
    else if (option == "--size") o.size = parse_int(option, value);
    else if (option == "--batch") o.batch = static_cast<int>(parse_int(option, value));
    else if (option == "--evals") o.evals = static_cast<int>(parse_int(option, value));
    else if (option == "--blocks") o.blocks = static_cast<int>(parse_int(option, value));
    else if (option == "--threads") o.threads = static_cast<int>(parse_int(option, value));
    else if (option == "--write-model") o.write_model = value;
    else if (option == "--weights") {
      const std::string w = value;
      if (w == "f16") o.weights = DType::F16;
      else if (w == "bf16") o.weights = DType::BF16;
      else if (w == "f32") o.weights = DType::F32;
      else usage(fmt::format("--weights expects f16, bf16 or f32, got '{}'", w));
    } else usage(fmt::format("unknown option '{}'", option));
  }
  if (o.batch > 2) usage("--batch expects 0 (both), 1 or 2");
  if (o.evals < 1) usage("--evals expects at least 1");
  if (o.size % 16 != 0 || o.size == 0) usage(fmt::format("--size {} is not a positive multiple of 16 pixels", o.size));
  return o;
}

models::MmditConfig config_of(const std::string& model) {
  if (model == "sd3_medium") return models::MmditConfig::sd3_medium();
  if (model == "sd35_medium") return models::MmditConfig::sd35_medium();
  if (model == "sd35_large") return models::MmditConfig::sd35_large();
  usage(fmt::format("unknown model '{}' (sd3_medium, sd35_medium, sd35_large)", model));
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  double a = 0, b = 0, c = 0;
  in >> a >> b >> c;
  return fmt::format("{:.2f} {:.2f} {:.2f}", a, b, c);
}

double peak_rss_gib() {
  rusage self{};
  getrusage(RUSAGE_SELF, &self);
  return static_cast<double>(self.ru_maxrss) * 1024.0 / kGiB;  // ru_maxrss is in KiB on Linux
}

double process_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Wall seconds, process CPU seconds per thread, and FLOPs of a piece of work.
struct Cost {
  double seconds = 0, cpu_seconds = 0, flops = 0;

  Cost& operator+=(const Cost& o) {
    seconds += o.seconds;
    cpu_seconds += o.cpu_seconds;
    flops += o.flops;
    return *this;
  }
  Cost operator-(const Cost& o) const { return {seconds - o.seconds, cpu_seconds - o.cpu_seconds, flops - o.flops}; }
  Cost operator/(double n) const { return {seconds / n, cpu_seconds / n, flops / n}; }
};

// A running measurement: Cost since `start`.
class Meter {
 public:
  Meter() { FlopCounter::reset(); }
  Cost now() const {
    return {std::chrono::duration<double>(Clock::now() - wall_).count(),
            (process_cpu_seconds() - cpu_) / ThreadPool::threads(), static_cast<double>(FlopCounter::total())};
  }

 private:
  Clock::time_point wall_ = Clock::now();
  double cpu_ = process_cpu_seconds();
};

// f32 GEMM peak: the best of 4 matmuls of 4096^3 (as bench_ops and bench_unet), by wall time and
// by CPU time per thread.
struct Peak {
  double wall = 0, cpu = 0;  // GFLOP/s
};

Peak measure_peak() {
  const Tensor a = Tensor::full({4096, 4096}, 0.5f);
  const Tensor w = Tensor::full({4096, 4096}, 0.25f);
  Peak best;
  for (int i = 0; i < 4; ++i) {
    const Meter meter;
    const Tensor y = ops::linear(a, w, {});
    const Cost c = meter.now();
    best.wall = std::max(best.wall, c.flops / c.seconds / 1e9);
    best.cpu = std::max(best.cpu, c.flops / c.cpu_seconds / 1e9);
  }
  return best;
}

// "2.15 s, 101 GFLOP, 47 GFLOP/s = 11% of peak; CPU time / thread 1.02 s: 99 GFLOP/s = 23% of peak"
std::string describe(const Cost& c, const Peak& peak) {
  const double wall = c.flops / c.seconds / 1e9, cpu = c.flops / c.cpu_seconds / 1e9;
  return fmt::format("{:.3f} s, {:.1f} GFLOP, {:.0f} GFLOP/s = {:.0f}% of peak; CPU time / thread {:.3f} s: {:.0f} GFLOP/s = "
                     "{:.0f}% of peak",
                     c.seconds, c.flops / 1e9, wall, 100.0 * wall / peak.wall, c.cpu_seconds, cpu, 100.0 * cpu / peak.cpu);
}

// The kinds of joint block whose cost differs.
enum class BlockKind { Joint, Dual, PreOnly, DualPreOnly };

const char* kind_name(BlockKind kind) {
  switch (kind) {
    case BlockKind::Joint: return "joint";
    case BlockKind::Dual: return "dual-attention";
    case BlockKind::PreOnly: return "last (pre-only context)";
    case BlockKind::DualPreOnly: return "last (pre-only context, dual attention)";
  }
  return "";
}

BlockKind kind_of(const models::MmditConfig& c, int block) {
  const bool last = block == c.depth - 1, dual = c.dual_attention(block);
  if (last) return dual ? BlockKind::DualPreOnly : BlockKind::PreOnly;
  return dual ? BlockKind::Dual : BlockKind::Joint;
}

// One evaluation: the whole, and each joint block.
struct Evaluation {
  Cost total;
  std::vector<Cost> blocks;
};

Evaluation evaluate(const models::MmditModel& model, int64_t batch, int64_t latent) {
  const models::MmditConfig& c = model.config();
  const Tensor x = Tensor::full({batch, c.in_channels, latent, latent}, 0.1f);
  const Tensor t = Tensor::full({batch}, 500.0f);
  const Tensor pooled = Tensor::full({batch, c.pooled_dim}, 0.1f);
  const Tensor context = Tensor::full({batch, 154, c.context_dim}, 0.01f);  // 77 CLIP + 77 T5 tokens
  Evaluation e;
  const Meter meter;
  Cost mark;
  // The debug sink is called after the embeddings and after each block: the cost between calls.
  const models::DebugSink sink = [&](std::string_view name, const Tensor&) {
    const bool block_end = name.starts_with("block") && name.ends_with("_x");
    if (!block_end && name != "context_embedded") return;
    const Cost now = meter.now();
    if (block_end) e.blocks.push_back(now - mark);
    mark = now;
  };
  const Tensor out = model.forward(x, t, pooled, context, {}, sink);
  e.total = meter.now();
  return e;
}

void report(const models::MmditConfig& real, const models::MmditConfig& built, int64_t batch,
            const std::vector<Evaluation>& runs, const Peak& peak) {
  const Evaluation& best = *std::min_element(
      runs.begin(), runs.end(), [](const Evaluation& a, const Evaluation& b) { return a.total.seconds < b.total.seconds; });
  double mean = 0;
  for (const Evaluation& r : runs) mean += r.total.seconds / static_cast<double>(runs.size());
  std::map<BlockKind, std::pair<int, Cost>> kinds;  // count, sum
  Cost blocks;
  for (int i = 0; i < built.depth; ++i) {
    auto& [count, sum] = kinds[kind_of(built, i)];
    ++count;
    sum += best.blocks[i];
    blocks += best.blocks[i];
  }
  const Cost rest = best.total - blocks;
  const char* what = batch == 1 ? "one evaluation" : "one step with CFG";
  fmt::print("  batch {} ({}), best of {} (mean {:.2f} s): {}\n", batch, what, runs.size(), mean, describe(best.total, peak));
  for (const auto& [kind, k] : kinds)
    fmt::print("    {:>2} x {} block: {}\n", k.first, kind_name(kind), describe(k.second / k.first, peak));
  fmt::print("    rest (embeddings, final layer): {:.3f} s, {:.1f} GFLOP\n", rest.seconds, rest.flops / 1e9);
  if (built.depth == real.depth) return;
  // Extrapolation to the real depth from the kinds measured.
  Cost full = rest;
  for (int i = 0; i < real.depth; ++i) {
    const auto it = kinds.find(kind_of(real, i));
    if (it == kinds.end()) {
      fmt::print("    EXTRAPOLATION to {} blocks impossible: no {} block among the {} built (use more --blocks)\n",
                 real.depth, kind_name(kind_of(real, i)), built.depth);
      return;
    }
    full += it->second.second / it->second.first;
  }
  fmt::print("    EXTRAPOLATED to the real {} blocks (rest + measured cost of each kind of block x its count), {}: {}\n",
             real.depth, what, describe(full, peak));
}

}  // namespace

// The files a user of the model has, with random weights: DIR/<model>.safetensors (MMDiT under
// model.diffusion_model., the 16-channel VAE under first_stage_model.) and the text encoders as
// sd3_infer takes them: DIR/clip_l.safetensors, DIR/clip_g.safetensors, DIR/t5xxl_fp16.safetensors.
void write_model(const Options& o) {
  namespace fs = std::filesystem;
  const fs::path dir = o.write_model;
  {
    bench::NamedTensors tensors;
    bench::append(tensors, *models::synthetic_mmdit_weights(config_of(o.model), o.weights, 1));
    models::VaeShape vae;
    vae.latent_channels = 16;
    vae.quant_convs = false;
    vae.encoder = true;
    bench::append(tensors, *models::synthetic_vae_weights(vae, o.weights, 2), "first_stage_model.");
    bench::write_tensors(dir / (o.model + ".safetensors"), tensors);
  }
  // Text encoders already there (e.g. linked from another model's folder) are kept.
  const auto write_once = [&](const char* name, const auto& make) {
    if (!fs::exists(dir / name)) bench::write_tensors(dir / name, *make());
  };
  models::ClipShape clip_l;
  clip_l.text_projection = true;
  write_once("clip_l.safetensors", [&] { return models::synthetic_clip_text_weights(clip_l, o.weights, 3); });
  const models::ClipShape clip_g{32, 1280, 5120, 49408, 77, true};
  write_once("clip_g.safetensors", [&] { return models::synthetic_clip_text_weights(clip_g, o.weights, 4); });
  write_once("t5xxl_fp16.safetensors",
             [&] { return models::synthetic_t5_weights(models::T5Config::xxl(), o.weights, 5); });
}

int main(int argc, char** argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // progress lines as they come, also into a file
  const Options o = parse(argc, argv);
  try {
    if (o.threads > 0) ThreadPool::set_threads(o.threads);
    if (!o.write_model.empty()) {
      write_model(o);
      return 0;
    }
    const models::MmditConfig real = config_of(o.model);
    models::MmditConfig built = real;
    if (o.blocks > 0 && o.blocks < real.depth) {
      built.depth = o.blocks;
      std::erase_if(built.dual_attention_blocks, [&](int b) { return b >= o.blocks; });
    }
    const int64_t latent = o.size / 8;
    const int64_t tokens = (latent / real.patch) * (latent / real.patch);
    fmt::print("{}: {}\n", o.model, real.to_string());
    fmt::print("{} parameters ({:.2f} B); built: {} of {} blocks, {:.2f} B parameters as {}; compute f32, {} threads\n",
               o.model, static_cast<double>(models::mmdit_parameter_count(real)) / 1e9, built.depth, real.depth,
               static_cast<double>(models::mmdit_parameter_count(built)) / 1e9, dtype_name(o.weights),
               ThreadPool::threads());
    fmt::print("load average at start: {}\n", load_average());
    const Peak peak = measure_peak();
    fmt::print("peak f32 GEMM (4096^3 oneDNN matmul, best of 4): {:.0f} GFLOP/s; by CPU time / thread: {:.0f} GFLOP/s\n",
               peak.wall, peak.cpu);

    // Weights in their own arena, so that the activation arena's peak is the forward pass's.
    Arena weight_arena(size_t{256} << 20);
    nn::WeightMap map;
    models::MmditModel model;
    const auto made = Clock::now();
    {
      const ArenaScope scope(weight_arena);
      map = models::mmdit_weights(models::synthetic_mmdit_weights(built, o.weights, 1));
      const nn::Binder b(map);
      model = models::MmditModel::load(b, models::MmditConfig::from_weights(b, built.heads));
      map.check_all_used("MMDiT");
    }
    fmt::print("weights made in {:.1f} s: {:.2f} GiB\n", std::chrono::duration<double>(Clock::now() - made).count(),
               static_cast<double>(weight_arena.stats().bytes_in_use) / kGiB);

    fmt::print("{}x{} pixels: {}x{} latent, {} image + 154 context tokens\n", o.size, o.size, latent, latent, tokens);
    std::vector<int64_t> batches;
    if (o.batch != 1) batches.push_back(2);
    if (o.batch != 2) batches.push_back(1);
    // Warm-up at the largest batch: arena chunks, oneDNN kernels, prepared (widened) weights.
    const auto warm = Clock::now();
    evaluate(model, batches.front(), latent);
    fmt::print("warm-up (batch {}): {:.1f} s\n", batches.front(), std::chrono::duration<double>(Clock::now() - warm).count());
    for (int64_t batch : batches) {
      std::vector<Evaluation> runs;
      for (int i = 0; i < o.evals; ++i) runs.push_back(evaluate(model, batch, latent));
      report(real, built, batch, runs, peak);
      fmt::print("    load average: {}\n", load_average());
    }
    const cpu::WeightCache::Stats cache = cpu::WeightCache::instance().stats();
    fmt::print("peak RSS {:.2f} GiB: weights {:.2f} GiB, prepared-weight cache {:.2f} GiB (budget {:.2f} GiB), "
               "activation arena peak {:.2f} GiB\n",
               peak_rss_gib(), static_cast<double>(weight_arena.stats().bytes_in_use) / kGiB,
               static_cast<double>(cache.bytes) / kGiB, static_cast<double>(cache.budget) / kGiB,
               static_cast<double>(Arena::current().stats().peak_bytes_reserved) / kGiB);
    fmt::print("load average at end: {}\n", load_average());
  } catch (const std::exception& e) {
    fmt::print(stderr, "bench_mmdit: {}\n", e.what());
    return 1;
  }
  return 0;
}

// AnimateDiff v2 text-to-video at real size with random weights made in the process: the SD1.5
// UNet (320/640/1280/1280) with a v2 motion module (mid-block module, 32-frame tables), DDIM with
// classifier-free guidance (one UNet batch of [uncond, cond] x frames), then the SD1.5 VAE
// decoder one frame at a time. Prints s/step, s/frame, GFLOP/s (FLOPs counted by the ops), and
// the process's peak RSS, the figure of docs/performance.md. The text encoder is not run (its
// cost is a single 77-token pass): random contexts stand in for the prompt embeddings.
//
//   ./build/bench/bench_video [--size 256] [--frames 16] [--steps 2] [--weights f16|f32] [--decode-frames N]
//   ./build/bench/bench_video --write-model DIR [--weights f16|f32]
//
// --write-model writes the same random weights, plus a CLIP-L text encoder, as a diffusers SD1.5
// folder (DIR/unet, DIR/vae (decoder only), DIR/text_encoder) and DIR/motion_module.safetensors
// (original v2 names), so that the whole pipeline runs at real size from files:
//   /usr/bin/time -v ./build/src/animatediff video --model DIR --motion-module DIR/motion_module.safetensors ...
//
// Not a Google Benchmark program: one run of the real pipeline shape, each phase timed once.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "backend/cpu/weight_cache.h"
#include "backend/flop_counter.h"
#include "backend/ops.h"
#include "core/arena.h"
#include "models/clip/clip_synthetic.h"
#include "models/motion/motion_keys.h"
#include "models/motion/motion_module.h"
#include "models/motion/motion_synthetic.h"
#include "models/unet/unet_keys.h"
#include "models/unet/unet_synthetic.h"
#include "models/vae/vae.h"
#include "models/vae/vae_keys.h"
#include "models/vae/vae_synthetic.h"
#include "pipeline/phase_clock.h"
#include "pipeline/video_denoiser.h"
#include "sampling/noise.h"
#include "synthetic_files.h"

namespace {

using namespace ad;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

double peak_rss_gib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / (1024.0 * 1024.0);
}

struct Options {
  int64_t size = 256, frames = 16, steps = 2, decode_frames = -1;
  DType weights = DType::F16;
  std::string write_model;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto value = [&] {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "bench_video: %s needs a value\n", arg.c_str());
        std::exit(2);
      }
      return std::string(argv[++i]);
    };
    if (arg == "--size") o.size = std::stoll(value());
    else if (arg == "--frames") o.frames = std::stoll(value());
    else if (arg == "--steps") o.steps = std::stoll(value());
    else if (arg == "--decode-frames") o.decode_frames = std::stoll(value());
    else if (arg == "--weights") o.weights = value() == "f32" ? DType::F32 : DType::F16;
    else if (arg == "--write-model") o.write_model = value();
    else {
      std::fprintf(stderr,
                   "usage: bench_video [--size 256] [--frames 16] [--steps 2] [--weights f16|f32] [--decode-frames N]\n"
                   "       bench_video --write-model DIR [--weights f16|f32]\n");
      std::exit(2);
    }
  }
  if (o.decode_frames < 0) o.decode_frames = o.frames;
  return o;
}

// A diffusers SD1.5 folder and a v2 motion module of real shape with random weights.
void write_model(const fs::path& dir, DType dtype) {
  const models::UNetConfig config = models::sd15_unet_config();
  bench::write_tensors(dir / "unet" / "diffusion_pytorch_model.safetensors", *models::synthetic_unet_weights(config, dtype, 1));
  bench::write_text(dir / "unet" / "config.json", R"({"attention_head_dim": 8, "cross_attention_dim": 768})");
  bench::write_tensors(dir / "motion_module.safetensors",
                       *models::synthetic_motion_weights(config, /*mid_block=*/true, 32, dtype, 2));
  bench::write_tensors(dir / "vae" / "diffusion_pytorch_model.safetensors",
                       *models::synthetic_vae_weights(models::VaeShape{}, dtype, 3));
  bench::write_text(dir / "vae" / "config.json", R"({"scaling_factor": 0.18215})");
  bench::write_tensors(dir / "text_encoder" / "model.safetensors",
                       *models::synthetic_clip_text_weights(models::ClipShape{}, dtype, 4));
  bench::write_text(dir / "text_encoder" / "config.json", R"({"num_attention_heads": 12, "hidden_act": "quick_gelu"})");
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  if (!o.write_model.empty()) {
    write_model(o.write_model, o.weights);
    return 0;
  }
  std::printf("AnimateDiff v2, SD1.5 UNet, %lldx%lld, %lld frames, %s weights, f32 compute, CFG batch of %lld\n",
              static_cast<long long>(o.size), static_cast<long long>(o.size), static_cast<long long>(o.frames),
              o.weights == DType::F16 ? "f16" : "f32", static_cast<long long>(2 * o.frames));
  pipeline::use_weights_in_place();  // as the video pipeline
  auto start = Clock::now();
  const models::UNetConfig config = models::sd15_unet_config();
  const nn::WeightMap unet_map = models::unet_weights(models::synthetic_unet_weights(config, o.weights, 1));
  const nn::Binder unet_binder(unet_map);
  const auto unet = models::UNet2DConditionModel::load(unet_binder, models::UNetConfig::from_weights(unet_binder));
  const nn::WeightMap motion_map =
      models::motion_module_weights(models::synthetic_motion_weights(config, /*mid_block=*/true, 32, o.weights, 2));
  const auto motion = models::MotionModuleSet::load(motion_map, models::MotionModuleOptions{});
  motion.check_fits(unet.config());
  const nn::WeightMap vae_map =
      models::vae_weights(models::synthetic_vae_weights(models::VaeShape{}, o.weights, 3), "");
  const auto vae = models::AutoencoderKL::load(nn::Binder(vae_map));
  std::printf("weights made in %.1f s; peak RSS %.2f GiB\n", seconds_since(start), peak_rss_gib());

  sampling::NoiseGenerator rng(7);
  const Tensor cond = rng.normal({1, 77, 768});
  const Tensor uncond = rng.normal({1, 77, 768});
  const Tensor noise = rng.normal({o.frames, 4, o.size / 8, o.size / 8});
  models::VideoOptions video;
  video.frames = o.frames;
  video.temporal = &motion;
  const auto sampler = sampling::make_sampler(sampling::SamplerKind::Ddim, sampling::DiscreteScheduleConfig{}, 25);
  pipeline::VideoDenoiser loop(unet, video, *sampler, cond, uncond, 7.5, noise);
  double steady = 0;
  uint64_t flops = 0;
  for (int64_t s = 0; s < o.steps && !loop.done(); ++s) {
    FlopCounter::reset();
    start = Clock::now();
    loop.next();
    const double t = seconds_since(start);
    flops = FlopCounter::total();
    if (s > 0 || o.steps == 1) steady += t;
    std::printf("step %lld: %.2f s, %.0f GFLOP, %.1f GFLOP/s%s\n", static_cast<long long>(s + 1), t,
                static_cast<double>(flops) / 1e9, static_cast<double>(flops) / 1e9 / t,
                s == 0 && o.steps > 1 ? " (first step: oneDNN kernels created)" : "");
  }
  const double per_step = steady / static_cast<double>(o.steps > 1 ? o.steps - 1 : 1);
  std::printf("denoise: %.2f s/step (steady), %.1f GFLOP/s; peak RSS %.2f GiB\n", per_step,
              static_cast<double>(flops) / 1e9 / per_step, peak_rss_gib());

  const Tensor latents = loop.latents();
  start = Clock::now();
  double first = 0;
  for (int64_t f = 0; f < o.decode_frames; ++f) {
    const auto frame_start = Clock::now();
    const Tensor image = vae.decode(ops::affine(latents.slice(0, f, f + 1), 1.0f / 0.18215f, 0.0f));
    if (f == 0) first = seconds_since(frame_start);
  }
  const double decode = seconds_since(start);
  const double per_frame = o.decode_frames > 1 ? (decode - first) / static_cast<double>(o.decode_frames - 1) : decode;
  const auto cache = cpu::WeightCache::instance().stats();
  std::printf("decode: %.2f s/frame (first %.2f s)\n", per_frame, first);
  const auto arena = Arena::current().stats();
  std::printf("peak RSS %.2f GiB; arena peak %.2f GiB in use, %.2f GiB mapped; prepared-weight cache %.2f GiB in %zu entries (budget %.2f GiB)\n",
              peak_rss_gib(), static_cast<double>(arena.peak_bytes_in_use) / (1 << 30),
              static_cast<double>(arena.peak_bytes_reserved) / (1 << 30),
              static_cast<double>(cache.bytes) / (1 << 30), cache.entries, static_cast<double>(cache.budget) / (1 << 30));
  return 0;
}

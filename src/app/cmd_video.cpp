// `animatediff video`: text-to-video with an SD1.5 model and an AnimateDiff motion module.
#include <random>

#include "animatediff/video.h"
#include "app/commands.h"
#include "app/progress_bar.h"

namespace ad::app {

Command add_video_command(CLI::App& app) {
  auto* sub = app.add_subcommand("video",
                                 "Generate a short video from a text prompt with a Stable Diffusion 1.5 model and an "
                                 "AnimateDiff motion module.\n"
                                 "Example:\n  animatediff video --model v1-5-pruned-emaonly.safetensors "
                                 "--motion-module mm_sd_v15_v2.ckpt \\\n      --prompt \"a corgi running on the beach, "
                                 "golden hour\" -o corgi.mp4");
  auto p = std::make_shared<VideoParams>();
  auto seed = std::make_shared<int64_t>(-1);
  auto quiet = std::make_shared<bool>(false);
  sub->add_option("--model", p->model, "SD1.5-family checkpoint: a .safetensors/.ckpt file or a diffusers folder")
      ->required();
  sub->add_option("--motion-module", p->motion_module,
                  "AnimateDiff motion module (mm_sd_v15_v2.ckpt, v3_sd15_mm.ckpt, ...; .ckpt, .safetensors or a "
                  "diffusers MotionAdapter folder)")
      ->required();
  sub->add_option("--prompt", p->prompt, "what the video shows")->required();
  sub->add_option("--negative-prompt", p->negative_prompt, "what it should not show");
  sub->add_option("--frames", p->frames, "number of frames")->capture_default_str();
  sub->add_option("--width", p->width, "width in pixels (multiple of 8)")->capture_default_str();
  sub->add_option("--height", p->height, "height in pixels (multiple of 8)")->capture_default_str();
  sub->add_option("--steps", p->steps, "denoising steps")->capture_default_str();
  sub->add_option("--cfg", p->cfg, "classifier-free guidance scale")->capture_default_str();
  sub->add_option("--sampler", p->sampler, "ddim, euler or euler_a")->capture_default_str();
  sub->add_option("--seed", *seed, "random seed (default: a random one, printed)");
  sub->add_option("--fps", p->fps, "frames per second of the output")->capture_default_str();
  sub->add_option("--context-length", p->context_length,
                  "frames per temporal-attention window for clips longer than the motion module's 24/32")
      ->capture_default_str();
  sub->add_option("--context-stride", p->context_stride, "frames between window starts")->capture_default_str();
  sub->add_option("--tokenizer", p->tokenizer, "folder with CLIP's vocab.json and merges.txt (default: bundled)");
  sub->add_flag("--diffusers-motion-norm", p->diffusers_motion_norm,
                "motion-module GroupNorm over all frames, as diffusers computes it");
  sub->add_option("--quality", p->video_quality, "1-100 (mp4, webm, webp)")->capture_default_str();
  sub->add_option("-o,--output", p->output, "output file: .mp4, .webm, .gif, .webp, or .png (numbered frames)")
      ->required();
  sub->add_flag("-q,--quiet", *quiet, "no progress output");
  return {sub, [p, seed, quiet] {
            p->seed = *seed >= 0 ? static_cast<uint64_t>(*seed) : std::random_device{}() % 4294967296ull;
            validate(*p);
            std::fprintf(stderr, "seed %llu\n", static_cast<unsigned long long>(p->seed));
            ProgressBar bar(stderr);
            const VideoReport report = generate_video(*p, *quiet ? ProgressFn{} : ProgressFn(std::ref(bar)));
            bar.finish();
            for (const auto& w : report.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
            std::fprintf(stderr, "motion module %s%s; %s\n", report.motion_module_version.c_str(),
                         report.context_windows ? ", context windows" : "",
                         format_run_summary(report.phases, report.step_seconds, report.peak_rss_bytes,
                                            report.peak_working_bytes)
                             .c_str());
            for (const auto& f : report.files) std::printf("%s\n", f.c_str());
            return 0;
          }};
}

}  // namespace ad::app

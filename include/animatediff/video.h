// animatediff.cpp library API: text-to-video with an SD1.5-family model and AnimateDiff motion
// modules. The CLI (`animatediff video`) is a thin front end over this header.
//
//   ad::VideoParams params;
//   params.model = "v1-5-pruned-emaonly.safetensors";
//   params.motion_module = "mm_sd_v15_v2.ckpt";
//   params.prompt = "a corgi running on the beach";
//   params.output = "corgi.mp4";
//   ad::validate(params);                                  // cheap checks, before any compute
//   ad::VideoReport report = ad::generate_video(params, [](const ad::ProgressEvent& e) { ... });
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "animatediff/progress.h"

namespace ad {

// Defaults are those of AnimateDiff's own inference configs (configs/inference/*.yaml and the
// prompt configs): 16 frames, 512x512, 25 DDIM steps, guidance 7.5, 8 fps.
struct VideoParams {
  std::string model;          // SD1.5-family single file (.safetensors / .ckpt) or diffusers folder
  std::string motion_module;  // mm_sd_v14/v15/v15_v2.ckpt, v3_sd15_mm.ckpt (or .safetensors), MotionAdapter
  std::string tokenizer;      // folder with vocab.json + merges.txt; empty: the model's tokenizer/ or the bundled one
  std::string prompt;
  std::string negative_prompt;
  int frames = 16;
  int width = 512;
  int height = 512;
  int steps = 25;
  double cfg = 7.5;
  std::string sampler = "ddim";  // ddim, euler, euler_a
  uint64_t seed = 0;
  double fps = 8.0;
  // Clips longer than the motion module's positional table (24 frames for v1, 32 for v2/v3) run
  // the temporal attention in FreeNoise windows of this length and stride.
  int context_length = 16;
  int context_stride = 4;
  // The motion modules' GroupNorm as diffusers computes it (statistics over all frames) instead
  // of the original AnimateDiff code (per frame).
  bool diffusers_motion_norm = false;
  int video_quality = 75;  // 1..100 (see video/video_writer.h)
  std::string output;      // .mp4, .webm, .gif, .webp or .png (numbered frames)

  // One line per parameter, for logs.
  std::string to_string() const;
  // What is embedded in the output file (prompt, seed, steps, cfg, sampler, model, ...).
  std::map<std::string, std::string> metadata() const;
};

struct VideoReport {
  std::vector<PhaseTime> phases;
  std::vector<double> step_seconds;        // each denoising step
  std::vector<std::string> files;          // written files
  std::string motion_module_version;       // "v1", "v2", "v3"
  bool context_windows = false;            // FreeNoise windows were used
  int64_t peak_rss_bytes = 0;
  int64_t peak_working_bytes = 0;  // of that: activations and scratch (the engine's arena), not weights
  std::vector<std::string> warnings;       // e.g. a prompt truncated to 77 tokens
};

// Checks what can be checked without loading models: sizes (multiples of 8), frames >= 1, steps,
// cfg, sampler name, output format and directory, that the files exist. Throws ad::Error.
void validate(const VideoParams& params);
// Loads the models, checks that the motion module fits the UNet, generates and writes the video.
VideoReport generate_video(const VideoParams& params, const ProgressFn& progress = {});

}  // namespace ad

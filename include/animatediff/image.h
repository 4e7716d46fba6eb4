// animatediff.cpp library API: text-to-image (and image-to-image) with Stable Diffusion 3 / 3.5.
// The CLI (`animatediff image`) is a thin front end over this header.
//
//   ad::ImageParams params;
//   params.model = "sd3.5_medium.safetensors";
//   params.clip_l = "clip_l.safetensors";       // when the model file has no text encoders
//   params.clip_g = "clip_g.safetensors";
//   params.t5xxl = "t5xxl_fp16.safetensors";    // optional: without it T5's rows are zeros
//   params.prompt = "a photo of a cat holding a sign that says hello";
//   params.output = "cat.png";
//   ad::validate(params);                        // cheap checks, before any compute
//   ad::ImageReport report = ad::generate_image(params, [](const ad::ProgressEvent& e) { ... });
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "animatediff/progress.h"

namespace ad {

// The sampling settings of a run. Defaults per model are those of Stability's sd3_infer.py
// (CONFIGS), see image_defaults().
struct ImageSettings {
  int steps = 50;
  double cfg = 5.0;
  std::string sampler = "dpmpp_2m";  // euler, dpmpp_2m
  double shift = 3.0;
  // Skip-layer guidance (SD3.5 Medium): off when scale is 0.
  double slg_scale = 0.0;
  std::vector<int> slg_layers;
  double slg_start = 0.01;
  double slg_end = 0.2;
  int width = 1024;
  int height = 1024;
};

// The defaults of a model version as the loader names it ("SD3.5 Medium", "SD3.5 Large",
// "SD3 Medium"); `turbo` selects SD3.5 Large Turbo's. `name` receives sd3_infer's config name
// ("sd3.5_medium", ...).
ImageSettings image_defaults(const std::string& version, bool turbo, std::string* name = nullptr);

// Unset options take the detected model's default.
struct ImageParams {
  std::string model;  // SD3 / SD3.5 single file (.safetensors) or diffusers folder
  std::string clip_l, clip_g, t5xxl;  // separate text-encoder files (take precedence over the model's)
  std::string prompt;
  std::string negative_prompt;
  std::optional<int> steps;
  std::optional<double> cfg;
  std::optional<std::string> sampler;
  std::optional<double> shift;
  std::optional<double> slg_scale;
  std::optional<std::vector<int>> slg_layers;
  std::optional<double> slg_start, slg_end;
  uint64_t seed = 0;
  std::optional<int> width, height;  // default 1024, or the init image's size
  std::string init_image;            // PNG / JPEG for image-to-image; its size must be width x height
  double strength = 0.6;             // fraction of the schedule run from the noised init image (sd3_infer DENOISE)
  std::string output;                // .png

  // The settings of this run: the model's defaults (image_defaults) overridden by what is set.
  // `defaulted` receives the names of the settings that came from the defaults.
  ImageSettings resolve(const ImageSettings& defaults, std::vector<std::string>* defaulted = nullptr) const;
  // What is embedded in the PNG (prompt, negative prompt, seed, settings, model, software).
  std::map<std::string, std::string> metadata(const ImageSettings& settings, const std::string& model_version) const;
};

struct ImageReport {
  std::vector<PhaseTime> phases;
  std::vector<double> step_seconds;  // each denoising step
  std::string output;                // the written file
  std::string model_version;         // "SD3.5 Medium"
  std::string model_description;     // where the parts came from ("single file + separate T5")
  std::string defaults_name;         // the sd3_infer config whose defaults applied ("sd3.5_medium")
  std::vector<std::string> defaulted;  // settings taken from those defaults
  ImageSettings settings;            // what the run used
  bool t5 = false;                   // whether T5 encoded the prompt
  int64_t peak_rss_bytes = 0;
  int64_t peak_working_bytes = 0;  // of that: activations and scratch (the engine's arena), not weights
  std::vector<std::string> warnings;  // e.g. no T5, a prompt longer than CLIP's 77 tokens
};

// Checks what can be checked without loading models: the files exist, sizes (positive multiples
// of 16), steps, cfg, sampler, shift, skip-layer settings, strength in (0, 1], a .png output in
// an existing folder. Throws ad::Error.
void validate(const ImageParams& params);
// Opens the model, applies its defaults, checks the settings against it (skip layers within its
// depth, the size within its position table), generates and writes the image.
ImageReport generate_image(const ImageParams& params, const ProgressFn& progress = {});

}  // namespace ad

// ImageParams: per-model defaults, resolution of unset options, metadata and the checks made
// before any compute.
#include <algorithm>
#include <cmath>
#include <filesystem>

#include "animatediff/image.h"
#include "core/error.h"
#include "sampling/flow_sampler.h"

namespace ad {

namespace {
namespace fs = std::filesystem;
}  // namespace

// sd3_infer.py CONFIGS (https://github.com/Stability-AI/sd3.5/blob/fbf8f483f992d8d6ad4eaaeb23b1dc5f523c3b3a/sd3_infer.py);
// SD3.5 Medium's skip-layer guidance is its skip_layer_config (sd3_infer turns it on with
// --skip_layer_cfg True; here it is on by default, --slg-scale 0 turns it off). WIDTH = HEIGHT = 1024.
ImageSettings image_defaults(const std::string& version, bool turbo, std::string* name) {
  ImageSettings s;
  std::string config;
  if (version == "SD3.5 Medium") {
    config = "sd3.5_medium";
    s.slg_scale = 2.5;
    s.slg_layers = {7, 8, 9};
  } else if (version == "SD3.5 Large" && turbo) {
    config = "sd3.5_large_turbo";
    s.steps = 4;
    s.cfg = 1.0;
    s.sampler = "euler";
  } else if (version == "SD3.5 Large") {
    config = "sd3.5_large";
    s.steps = 40;
    s.cfg = 4.5;
  } else if (version == "SD3 Medium") {
    config = "sd3_medium";
    s.shift = 1.0;
  } else {
    fail("no defaults for the model version '{}'", version);
  }
  if (name) *name = config;
  return s;
}

ImageSettings ImageParams::resolve(const ImageSettings& defaults, std::vector<std::string>* defaulted) const {
  ImageSettings s = defaults;
  const auto take = [&](const auto& option, auto& value, const char* name) {
    if (option) value = *option;
    else if (defaulted) defaulted->emplace_back(name);
  };
  take(steps, s.steps, "steps");
  take(cfg, s.cfg, "cfg");
  take(sampler, s.sampler, "sampler");
  take(shift, s.shift, "shift");
  take(slg_scale, s.slg_scale, "slg_scale");
  take(slg_layers, s.slg_layers, "slg_layers");
  take(slg_start, s.slg_start, "slg_start");
  take(slg_end, s.slg_end, "slg_end");
  take(width, s.width, "width");
  take(height, s.height, "height");
  return s;
}

std::map<std::string, std::string> ImageParams::metadata(const ImageSettings& s, const std::string& model_version) const {
  std::map<std::string, std::string> m = {
      {"prompt", prompt},
      {"negative_prompt", negative_prompt},
      {"seed", std::to_string(seed)},
      {"steps", std::to_string(s.steps)},
      {"cfg", fmt::format("{}", s.cfg)},
      {"sampler", s.sampler},
      {"shift", fmt::format("{}", s.shift)},
      {"slg_scale", fmt::format("{}", s.slg_scale)},
      {"model", fs::path(model).filename().string()},
      {"model_version", model_version},
      {"software", std::string("animatediff.cpp ") + AD_VERSION},
  };
  if (s.slg_scale > 0) {
    m["slg_layers"] = fmt::format("{}", fmt::join(s.slg_layers, ","));
    m["slg_start"] = fmt::format("{}", s.slg_start);
    m["slg_end"] = fmt::format("{}", s.slg_end);
  }
  if (!init_image.empty()) {
    m["init_image"] = fs::path(init_image).filename().string();
    m["strength"] = fmt::format("{}", strength);
  }
  return m;
}

void validate(const ImageParams& p) {
  AD_CHECK(!p.model.empty(), "no model given (--model FILE|DIR)");
  AD_CHECK(fs::exists(p.model), "{}: no such file or folder", p.model);
  for (const auto& [path, option] : {std::pair{p.clip_l, "--clip-l"}, {p.clip_g, "--clip-g"}, {p.t5xxl, "--t5xxl"}})
    AD_CHECK(path.empty() || fs::is_regular_file(path), "{}: no such file (given as {})", path, option);
  AD_CHECK(p.init_image.empty() || fs::is_regular_file(p.init_image), "{}: no such file (given as --init-image)",
           p.init_image);
  const auto check_size = [](const std::optional<int>& v, const char* option) {
    AD_CHECK(!v || (*v > 0 && *v % 16 == 0 && *v <= 16384), "{} {}: must be a positive multiple of 16", option, *v);
  };
  check_size(p.width, "--width");
  check_size(p.height, "--height");
  AD_CHECK(!p.steps || (*p.steps >= 1 && *p.steps <= 1000), "--steps {}: between 1 and 1000", p.steps.value_or(0));
  AD_CHECK(!p.cfg || (std::isfinite(*p.cfg) && *p.cfg >= 0), "--cfg {}: must be a non-negative number", p.cfg.value_or(0));
  if (p.sampler) sampling::parse_flow_sampler(*p.sampler);
  AD_CHECK(!p.shift || (std::isfinite(*p.shift) && *p.shift > 0), "--shift {}: must be a positive number",
           p.shift.value_or(0));
  AD_CHECK(!p.slg_scale || (std::isfinite(*p.slg_scale) && *p.slg_scale >= 0), "--slg-scale {}: must be a non-negative "
           "number", p.slg_scale.value_or(0));
  if (p.slg_layers) {
    AD_CHECK(!p.slg_layers->empty(), "--slg-layers: give at least one block index (e.g. 7,8,9)");
    for (int layer : *p.slg_layers) AD_CHECK(layer >= 0, "--slg-layers: block index {} is negative", layer);
  }
  const double start = p.slg_start.value_or(0.01), end = p.slg_end.value_or(0.2);
  AD_CHECK(start >= 0 && end <= 1 && start < end, "--slg-start {} / --slg-end {}: need 0 <= start < end <= 1", start, end);
  AD_CHECK(std::isfinite(p.strength) && p.strength > 0 && p.strength <= 1, "--strength {}: must be in (0, 1]",
           p.strength);
  AD_CHECK(!p.output.empty(), "no output given (-o out.png)");
  std::string extension = fs::path(p.output).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(), [](unsigned char c) { return std::tolower(c); });
  AD_CHECK(extension == ".png", "{}: the output must be a .png file", p.output);
  AD_CHECK(!fs::is_directory(p.output), "{}: is a folder; give a .png file name", p.output);
  const fs::path dir = fs::path(p.output).parent_path();
  AD_CHECK(dir.empty() || fs::is_directory(dir), "{}: the folder '{}' does not exist", p.output, dir.string());
}

}  // namespace ad

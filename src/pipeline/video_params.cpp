// VideoParams: description, metadata and the checks made before any compute.
#include <filesystem>

#include "animatediff/video.h"
#include "core/error.h"
#include "sampling/sampler.h"
#include "video/video_writer.h"

namespace ad {

std::string VideoParams::to_string() const {
  return fmt::format(
      "model: {}\nmotion module: {}\nprompt: {}\nnegative prompt: {}\nframes: {}\nsize: {}x{}\nsteps: {}\ncfg: {}\n"
      "sampler: {}\nseed: {}\nfps: {}\ncontext: length {}, stride {}\noutput: {}",
      model, motion_module, prompt, negative_prompt, frames, width, height, steps, cfg, sampler, seed, fps,
      context_length, context_stride, output);
}

std::map<std::string, std::string> VideoParams::metadata() const {
  const auto name = [](const std::string& path) { return std::filesystem::path(path).filename().string(); };
  return {
      {"prompt", prompt},
      {"negative_prompt", negative_prompt},
      {"seed", std::to_string(seed)},
      {"steps", std::to_string(steps)},
      {"cfg", fmt::format("{}", cfg)},
      {"sampler", sampler},
      {"frames", std::to_string(frames)},
      {"model", name(model)},
      {"motion_module", name(motion_module)},
      {"software", std::string("animatediff.cpp ") + AD_VERSION},
  };
}

void validate(const VideoParams& p) {
  namespace fs = std::filesystem;
  AD_CHECK(!p.model.empty(), "no model given (--model FILE|DIR)");
  AD_CHECK(!p.motion_module.empty(), "no motion module given (--motion-module FILE)");
  AD_CHECK(fs::exists(p.model), "{}: no such file or folder", p.model);
  AD_CHECK(fs::exists(p.motion_module), "{}: no such file or folder", p.motion_module);
  AD_CHECK(p.width > 0 && p.height > 0 && p.width % 8 == 0 && p.height % 8 == 0,
           "--width {} / --height {}: both must be positive multiples of 8", p.width, p.height);
  AD_CHECK(p.frames >= 1, "--frames {}: at least one frame", p.frames);
  AD_CHECK(p.steps >= 1 && p.steps <= 1000, "--steps {}: between 1 and 1000", p.steps);
  AD_CHECK(std::isfinite(p.cfg) && p.cfg >= 0, "--cfg {}: must be a non-negative number", p.cfg);
  AD_CHECK(p.fps > 0 && p.fps <= 240, "--fps {}: between 0 and 240", p.fps);
  AD_CHECK(p.context_length >= 2 && p.context_stride >= 1 && p.context_stride <= p.context_length,
           "--context-length {} / --context-stride {}: need length >= 2 and 1 <= stride <= length", p.context_length,
           p.context_stride);
  sampling::parse_sampler(p.sampler);
  AD_CHECK(!p.output.empty(), "no output given (-o out.mp4)");
  video::check_video_output(p.output, p.width, p.height);
}

}  // namespace ad

// Text-to-video: encode the prompt, denoise all frames together (UNet + motion modules), decode
// the frames one by one, write the video. See include/animatediff/video.h.
#include <cmath>
#include <filesystem>
#include <memory>

#include "animatediff/video.h"
#include "backend/ops.h"
#include "core/arena.h"
#include "io/diffusers_folder.h"
#include "models/motion/motion_keys.h"
#include "models/motion/motion_module.h"
#include "pipeline/phase_clock.h"
#include "pipeline/prompt_encoder.h"
#include "pipeline/sd15_loader.h"
#include "pipeline/video_denoiser.h"
#include "sampling/noise.h"
#include "video/video_writer.h"

namespace ad {

namespace {

namespace fs = std::filesystem;
using pipeline::Clock;
using pipeline::PhaseClock;
using pipeline::seconds_since;

models::MotionModuleSet load_motion_module(const std::string& path, const VideoParams& params) {
  std::shared_ptr<io::TensorFile> file;
  int64_t heads = 8;
  if (fs::is_directory(path)) {  // a diffusers MotionAdapter folder
    auto component = io::open_diffusers_component(path, "");
    AD_CHECK(component && component->weights, "{}: not a MotionAdapter folder (no config.json + weights)", path);
    file = component->weights;
    heads = component->config.value("motion_num_attention_heads", heads);
  } else {
    file = io::open_tensor_file(path);
  }
  models::MotionModuleOptions options;
  options.norm = params.diffusers_motion_norm ? models::MotionNorm::OverFrames : models::MotionNorm::PerFrame;
  return models::MotionModuleSet::load(models::motion_module_weights(file), options, heads);
}

// [N, 3, H, W] in about [-1, 1] -> N frames of H x W x 3 uint8 (round half to even, as diffusers).
std::vector<uint8_t> to_rgb8(const Tensor& image, int64_t index) {
  const Tensor f = image.select(0, index).permute({1, 2, 0}).contiguous();  // [H, W, 3]
  std::vector<uint8_t> rgb(static_cast<size_t>(f.numel()));
  const float* p = f.data<float>();
  for (size_t i = 0; i < rgb.size(); ++i) {
    const float v = std::clamp(p[i] * 0.5f + 0.5f, 0.0f, 1.0f) * 255.0f;
    rgb[i] = static_cast<uint8_t>(std::nearbyint(v));
  }
  return rgb;
}

}  // namespace

VideoReport generate_video(const VideoParams& params, const ProgressFn& progress) {
  validate(params);
  pipeline::use_weights_in_place();
  VideoReport report;

  PhaseClock load(Phase::Load, progress, report.phases);
  const auto model = pipeline::load_sd15(params.model);
  auto motion = std::make_unique<models::MotionModuleSet>(load_motion_module(params.motion_module, params));
  motion->check_fits(model->unet.config());
  report.motion_module_version = std::string(models::motion_module_version_name(motion->version()));
  const pipeline::PromptEncoder prompts(pipeline::PromptEncoder::resolve_tokenizer(params.tokenizer, model->tokenizer_dir));
  load.finish();

  PhaseClock encode(Phase::EncodeText, progress, report.phases);
  const Tensor cond = prompts.encode(model->text_encoder, params.prompt, report.warnings);
  const Tensor uncond = prompts.encode(model->text_encoder, params.negative_prompt, report.warnings);
  model->release_text_encoder();  // its pages leave memory before the UNet's come in
  encode.finish();

  PhaseClock denoise(Phase::Denoise, progress, report.phases);
  const int64_t frames = params.frames;
  models::VideoOptions video;
  video.frames = frames;
  video.temporal = motion.get();
  // v1 models were trained without inflated GroupNorm (inference-v1.yaml).
  video.resnet_norm_over_frames = motion->version() == models::MotionModuleVersion::V1;
  sampling::NoiseGenerator rng(params.seed);
  Tensor noise = rng.normal(Shape{frames, 4, params.height / 8, params.width / 8});
  if (frames > motion->max_frames()) {
    sampling::ContextWindows windows;
    windows.length = params.context_length;
    windows.stride = params.context_stride;
    AD_CHECK(windows.length <= motion->max_frames(), "--context-length {} exceeds the motion module's {} frames",
             windows.length, motion->max_frames());
    motion->set_context_windows(windows);
    sampling::free_noise_shuffle(noise, frames, windows.length, windows.stride, rng);
    report.context_windows = true;
  }
  sampling::DiscreteScheduleConfig schedule;  // AnimateDiff: linear betas, steps_offset 1, leading
  const auto sampler = sampling::make_sampler(sampling::parse_sampler(params.sampler), schedule, params.steps);
  Tensor latents;
  {
    pipeline::VideoDenoiser loop(model->unet, video, *sampler, cond, uncond, params.cfg, noise,
                                 [&rng](const Shape& shape) { return rng.normal(shape); });
    while (!loop.done()) {
      const auto start = Clock::now();
      const auto step = loop.next();
      report.step_seconds.push_back(seconds_since(start));
      denoise.emit(step.index + 1, loop.steps());
    }
    latents = loop.latents();
  }
  motion.reset();
  model->release_unet();  // the decoder runs without the denoiser's weights in memory
  denoise.finish();

  // Decode one frame at a time and hand it to the encoder, so memory does not grow with frames.
  PhaseClock decode(Phase::Decode, progress, report.phases);
  video::VideoWriterOptions out;
  out.path = params.output;
  out.width = params.width;
  out.height = params.height;
  out.fps = params.fps;
  out.metadata = params.metadata();
  out.metadata["motion_module_version"] = report.motion_module_version;
  out.quality = params.video_quality;
  auto writer = video::VideoWriter::open(out);
  double write_seconds = 0;
  for (int64_t f = 0; f < frames; ++f) {
    const Tensor image = model->vae.decode(ops::affine(latents.slice(0, f, f + 1), 1.0f / model->vae_scaling, 0.0f));
    const auto rgb = to_rgb8(image, 0);
    const auto start = Clock::now();
    writer->write_frame(rgb);
    write_seconds += seconds_since(start);
    decode.emit(static_cast<int>(f + 1), static_cast<int>(frames));
  }
  decode.finish();
  PhaseClock write(Phase::Write, progress, report.phases);
  writer->finish();
  write.finish();
  report.phases.back().seconds += write_seconds;  // encoding time spent while decoding
  report.phases[report.phases.size() - 2].seconds -= write_seconds;
  report.files = writer->output_files();
  report.peak_rss_bytes = pipeline::peak_rss_bytes();
  report.peak_working_bytes = pipeline::peak_working_bytes();
  return report;
}

}  // namespace ad

// Text-to-image (and image-to-image) with SD3 / SD3.5, as Stability's sd3_infer.py runs it:
// tokenize (sd3_prompt.h), encode with CLIP-L, CLIP-G and T5 one encoder at a time (each loaded,
// run and dropped before the next part is loaded), flow-matching sampling with CFG and
// skip-layer guidance on the MMDiT, decode with the 16-channel VAE, write a PNG. See
// include/animatediff/image.h and docs/sd3.md.
#include <algorithm>
#include <filesystem>

#include "animatediff/image.h"
#include "backend/ops.h"
#include "models/sd3_text/sd3_conditioning.h"
#include "pipeline/data_files.h"
#include "pipeline/phase_clock.h"
#include "pipeline/prompt_encoder.h"
#include "pipeline/sd3_loader.h"
#include "sampling/flow_guidance.h"
#include "sampling/flow_sampler.h"
#include "sampling/flow_schedule.h"
#include "sampling/noise.h"
#include "text/sd3_prompt.h"
#include "video/image_file.h"

namespace ad {

namespace {

namespace fs = std::filesystem;
using pipeline::Clock;
using pipeline::PhaseClock;
using pipeline::seconds_since;

Tensor ids_tensor(const std::vector<int32_t>& ids) {
  Tensor t = Tensor::empty(Shape{1, static_cast<int64_t>(ids.size())}, DType::I64);
  std::copy(ids.begin(), ids.end(), t.data<int64_t>());
  return t;
}

// The token ids of the prompt (index 0) and the negative prompt (index 1).
struct PromptIds {
  Tensor clip_l[2], clip_g[2], t5[2];
};

PromptIds tokenize_prompts(const ImageParams& params, const pipeline::Sd3Checkpoint& checkpoint,
                           std::vector<std::string>& warnings) {
  const auto clip = text::ClipTokenizer::load_folder(
      pipeline::PromptEncoder::resolve_tokenizer("", checkpoint.clip_tokenizer_dir()));
  std::optional<text::T5Tokenizer> t5;
  if (checkpoint.has_t5()) {
    std::string spiece = checkpoint.t5_tokenizer_file();
    if (spiece.empty()) spiece = pipeline::find_bundled_data("tokenizers/t5/spiece.model");
    AD_CHECK(!spiece.empty(), "no T5 tokenizer found (data/tokenizers/t5/spiece.model is missing from this installation)");
    t5 = text::T5Tokenizer::load(spiece);
  }
  PromptIds ids;
  const std::string* prompts[2] = {&params.prompt, &params.negative_prompt};
  for (int i = 0; i < 2; ++i) {
    const text::Sd3PromptTokens tokens = text::sd3_reference_tokenize(*prompts[i], clip, t5 ? &*t5 : nullptr);
    if (tokens.clip_l.size() > 1)
      warnings.push_back(fmt::format("the {} is longer than CLIP's 75 tokens; CLIP reads the first 75 (T5 reads it all)",
                                     i == 0 ? "prompt" : "negative prompt"));
    ids.clip_l[i] = ids_tensor(tokens.clip_l.front().ids);
    ids.clip_g[i] = ids_tensor(tokens.clip_g.front().ids);
    if (t5) ids.t5[i] = ids_tensor(tokens.t5.ids);
  }
  return ids;
}

// The conditioning of the prompt and the negative prompt, the text encoders loaded one at a time.
std::array<models::Sd3Conditioning, 2> encode_prompts(const pipeline::Sd3Checkpoint& checkpoint, const PromptIds& ids,
                                                      const PhaseClock& clock) {
  const int total = checkpoint.has_t5() ? 3 : 2;
  Tensor l_hidden[2], l_pooled[2], g_hidden[2], g_pooled[2], t5_hidden[2];
  {
    const models::ClipTextModel clip_l = checkpoint.load_clip_l();
    for (int i = 0; i < 2; ++i) {
      const models::ClipTextOutput out = clip_l.forward(ids.clip_l[i]);
      l_hidden[i] = out.penultimate;
      l_pooled[i] = out.pooled;  // unprojected, as sd3_infer
    }
  }
  clock.emit(1, total);
  {
    const models::ClipTextModel clip_g = checkpoint.load_clip_g();
    for (int i = 0; i < 2; ++i) {
      const models::ClipTextOutput out = clip_g.forward(ids.clip_g[i]);
      g_hidden[i] = out.penultimate;
      g_pooled[i] = out.pooled_projected.defined() ? out.pooled_projected : out.pooled;
    }
  }
  clock.emit(2, total);
  if (checkpoint.has_t5()) {
    const auto t5 = checkpoint.load_t5();
    // Each block's weights are used once per prompt: give their pages back as the blocks run, so
    // the whole encoder is never resident at once.
    const auto release = [&t5](std::string_view name, const Tensor&) {
      if (name.starts_with("block.")) t5.file->drop_resident_pages();
    };
    for (int i = 0; i < 2; ++i) t5_hidden[i] = t5.encoder.forward(ids.t5[i], release);
    clock.emit(3, total);
  }
  const models::MmditConfig& mmdit = checkpoint.mmdit_config();
  models::Sd3ConditioningOptions options;
  options.context_dim = mmdit.context_dim;
  options.no_t5 = models::Sd3NoT5Context::ZeroRows;
  std::array<models::Sd3Conditioning, 2> out;
  for (int i = 0; i < 2; ++i) {
    out[i] = models::assemble_sd3_conditioning(l_hidden[i], l_pooled[i], g_hidden[i], g_pooled[i], t5_hidden[i], options);
    AD_CHECK(out[i].pooled.dim(1) == mmdit.pooled_dim,
             "the CLIP-L and CLIP-G encoders give a {}-wide pooled vector but the MMDiT takes {}: text encoders of "
             "another model?", out[i].pooled.dim(1), mmdit.pooled_dim);
  }
  return out;
}

// The model's defaults, overridden by the options set, checked against the model.
ImageSettings resolve_settings(const ImageParams& params, const pipeline::Sd3Checkpoint& checkpoint,
                               const video::RgbImage* init, ImageReport& report) {
  const bool turbo = fs::path(params.model).filename().string().find("turbo") != std::string::npos;
  ImageSettings defaults = image_defaults(checkpoint.version(), turbo, &report.defaults_name);
  if (const auto shift = checkpoint.scheduler_shift()) defaults.shift = *shift;
  if (init) {
    defaults.width = init->width;
    defaults.height = init->height;
  }
  ImageSettings s = params.resolve(defaults, &report.defaulted);
  const models::MmditConfig& mmdit = checkpoint.mmdit_config();
  const bool layers_given = params.slg_layers.has_value();
  for (int layer : s.slg_layers) {
    if (s.slg_scale <= 0 || layer < mmdit.depth) continue;
    AD_CHECK(!layers_given, "--slg-layers: block {} does not exist; this {} model has {} joint blocks (0-{})", layer,
             checkpoint.version(), mmdit.depth, mmdit.depth - 1);
    report.warnings.push_back(fmt::format("skip-layer guidance is off: its default blocks {} are beyond this model's {} "
                                          "joint blocks (pass --slg-layers to choose others)",
                                          fmt::join(s.slg_layers, ","), mmdit.depth));
    s.slg_scale = 0;
    break;
  }
  if (init)
    AD_CHECK(s.width == init->width && s.height == init->height,
             "{}: the init image is {}x{} but the output is {}x{}; resize it or leave out --width/--height",
             params.init_image, init->width, init->height, s.width, s.height);
  AD_CHECK(s.width % 16 == 0 && s.height % 16 == 0, "{}x{}: width and height must be multiples of 16", s.width, s.height);
  const int64_t max_pixels = mmdit.pos_embed_max_size * mmdit.patch * 8;
  AD_CHECK(s.width <= max_pixels && s.height <= max_pixels,
           "--width {} / --height {}: this {} model's position table covers at most {}x{} pixels", s.width, s.height,
           checkpoint.version(), max_pixels, max_pixels);
  return s;
}

// The init image as a model-space latent (sd3_infer.vae_encode: a sample of the posterior).
Tensor encode_init_image(const pipeline::Sd3Checkpoint& checkpoint, const video::RgbImage& init,
                         sampling::NoiseGenerator& rng) {
  const models::AutoencoderKL vae = checkpoint.load_vae();
  const Tensor u8 = Tensor::from_vector<uint8_t>(Shape{init.height, init.width, 3}, init.rgb);
  const Tensor moments = vae.encode_moments(models::image_u8_to_vae(u8));
  const Tensor noise = rng.normal(Shape{1, moments.dim(1) / 2, moments.dim(2), moments.dim(3)});
  return checkpoint.latent_format().to_model(models::AutoencoderKL::posterior(moments).sample(noise));
}

}  // namespace

ImageReport generate_image(const ImageParams& params, const ProgressFn& progress) {
  validate(params);
  pipeline::use_weights_in_place();
  ImageReport report;

  PhaseClock load(Phase::Load, progress, report.phases);
  const auto checkpoint = pipeline::Sd3Checkpoint::open({params.model, params.clip_l, params.clip_g, params.t5xxl});
  report.model_version = checkpoint.version();
  report.model_description = checkpoint.description();
  std::optional<video::RgbImage> init;
  if (!params.init_image.empty()) init = video::read_image(params.init_image);
  const ImageSettings s = resolve_settings(params, checkpoint, init ? &*init : nullptr, report);
  report.settings = s;
  report.t5 = checkpoint.has_t5();
  if (!report.t5)
    report.warnings.push_back("no T5 encoder: the prompt is read by CLIP-L and CLIP-G only, with zeros in place of T5's "
                              "rows (pass --t5xxl t5xxl_fp16.safetensors for the full conditioning)");
  const PromptIds ids = tokenize_prompts(params, checkpoint, report.warnings);
  load.finish();

  PhaseClock encode(Phase::EncodeText, progress, report.phases);
  const auto [cond, uncond] = encode_prompts(checkpoint, ids, encode);
  encode.finish();

  sampling::NoiseGenerator rng(params.seed);
  const int64_t latent_h = s.height / 8, latent_w = s.width / 8;
  const Tensor noise = rng.normal(Shape{1, checkpoint.mmdit_config().in_channels, latent_h, latent_w});
  std::vector<float> sigmas = sampling::FlowSchedule{s.shift}.sigmas(s.steps);
  Tensor x;
  if (init) {
    PhaseClock encode_image(Phase::EncodeText, progress, report.phases, "encode_image");
    const int start = sampling::flow_img2img_start(s.steps, params.strength);
    AD_CHECK(start < s.steps, "--strength {} with {} steps leaves no step to run; raise --strength or --steps",
             params.strength, s.steps);
    sigmas.erase(sigmas.begin(), sigmas.begin() + start);
    x = sampling::flow_noise_scaling(sigmas[0], noise, encode_init_image(checkpoint, *init, rng));
    encode_image.finish();
  } else {
    x = sampling::flow_noise_scaling(sigmas[0], noise, Tensor::zeros(noise.shape()));
  }

  PhaseClock load_mmdit(Phase::Load, progress, report.phases, "load_mmdit");
  const models::MmditModel mmdit = checkpoint.load_mmdit();
  load_mmdit.finish();

  PhaseClock denoise(Phase::Denoise, progress, report.phases);
  // [cond; uncond] in one batch when their contexts have the same length (T5 rows may differ).
  models::Sd3Conditioning both;
  if (cond.context.dim(1) == uncond.context.dim(1))
    both = {ops::concat({cond.context, uncond.context}, 0), ops::concat({cond.pooled, uncond.pooled}, 0)};
  const auto model_fn = [&](const Tensor& xs, float sigma, sampling::FlowPass pass, std::span<const int> skip) {
    const auto call = [&](const Tensor& rows, const models::Sd3Conditioning& c) {
      return mmdit.forward(rows, Tensor::full(Shape{rows.dim(0)}, sampling::flow_timestep(sigma)), c.pooled, c.context, skip);
    };
    if (pass == sampling::FlowPass::Cond) return call(xs, cond);
    if (both.context.defined()) return call(xs, both);
    return ops::concat({call(xs.slice(0, 0, 1).contiguous(), cond), call(xs.slice(0, 1, 2).contiguous(), uncond)}, 0);
  };
  sampling::SkipLayerGuidance slg;
  slg.scale = static_cast<float>(s.slg_scale);
  slg.layers = s.slg_layers;
  slg.start = s.slg_start;
  slg.end = s.slg_end;
  const sampling::FlowGuider guider(model_fn, static_cast<float>(s.cfg), slg, s.steps);
  const auto sampler = sampling::make_flow_sampler(sampling::parse_flow_sampler(s.sampler), sigmas);
  // The loop the sampler fixtures check (runners_sd3.cpp): guided prediction, sampler step.
  auto step_start = Clock::now();
  const auto denoiser = [&](const Tensor& xs, float sigma, int index) { return guider(xs, sigma, index); };
  const auto observer = [&](int index, const Tensor&, const Tensor&) {
    report.step_seconds.push_back(seconds_since(step_start));
    denoise.emit(index + 1, sampler->steps());
    step_start = Clock::now();
  };
  x = sampling::run_flow_sampler(*sampler, x, denoiser, observer);
  denoise.finish();

  PhaseClock decode(Phase::Decode, progress, report.phases);
  video::RgbImage image{s.width, s.height, {}};
  {
    const models::AutoencoderKL vae = checkpoint.load_vae();
    const Tensor u8 = models::vae_to_image_u8(vae.decode(checkpoint.latent_format().to_vae(x)), models::U8Rounding::Truncate);
    image.rgb.assign(u8.data<uint8_t>(), u8.data<uint8_t>() + u8.numel());
  }
  decode.finish();

  PhaseClock write(Phase::Write, progress, report.phases);
  video::write_png_image(params.output, image, params.metadata(s, report.model_version));
  report.output = params.output;
  write.finish();
  report.peak_rss_bytes = pipeline::peak_rss_bytes();
  report.peak_working_bytes = pipeline::peak_working_bytes();
  return report;
}

}  // namespace ad

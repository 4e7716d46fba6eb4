// `animatediff image`: text-to-image (and image-to-image) with Stable Diffusion 3 / 3.5.
#include <fmt/format.h>

#include <random>

#include "animatediff/image.h"
#include "app/commands.h"
#include "app/progress_bar.h"

namespace ad::app {

namespace {

// Values of options that default to the model's setting: copied into the params only when given.
struct ModelDefaultOptions {
  int steps = 0, width = 0, height = 0;
  double cfg = 0, shift = 0, slg_scale = 0, slg_start = 0, slg_end = 0;
  std::string sampler;
  std::vector<int> slg_layers;
  std::vector<std::pair<CLI::Option*, std::function<void(ImageParams&)>>> given;

  template <typename T>
  void add(CLI::App* sub, const std::string& name, T& value, std::optional<T> ImageParams::*field, const std::string& help) {
    CLI::Option* option = sub->add_option(name, value, help);
    if constexpr (std::is_same_v<T, std::vector<int>>) option->delimiter(',');
    given.emplace_back(option, [&value, field](ImageParams& p) { p.*field = value; });
  }
  void apply(ImageParams& p) const {
    for (const auto& [option, set] : given)
      if (option->count() > 0) set(p);
  }
};

std::string describe(const ImageSettings& s) {
  std::string out = fmt::format("{}x{}, {} steps, cfg {}, {}, shift {}", s.width, s.height, s.steps, s.cfg, s.sampler, s.shift);
  if (s.slg_scale > 0)
    out += fmt::format(", skip-layer guidance {} on blocks {} from {} to {}", s.slg_scale, fmt::join(s.slg_layers, ","),
                       s.slg_start, s.slg_end);
  return out;
}

}  // namespace

Command add_image_command(CLI::App& app) {
  auto* sub = app.add_subcommand(
      "image",
      "Generate an image from a text prompt with Stable Diffusion 3 / 3.5 (or redraw an image with --init-image).\n"
      "Settings left out take the model's defaults (those of Stability's sd3_infer.py): SD3.5 Medium 50 steps, cfg 5,\n"
      "dpmpp_2m, shift 3, skip-layer guidance 2.5 on blocks 7,8,9; SD3.5 Large 40 steps, cfg 4.5; Large Turbo\n"
      "(file name with 'turbo') 4 steps, cfg 1, euler; SD3 Medium 50 steps, cfg 5, shift 1. Size 1024x1024.\n"
      "Example:\n  animatediff image --model sd3.5_medium.safetensors --clip-l clip_l.safetensors \\\n"
      "      --clip-g clip_g.safetensors --t5xxl t5xxl_fp16.safetensors \\\n"
      "      --prompt \"a photo of a red fox in the snow\" -o fox.png");
  auto p = std::make_shared<ImageParams>();
  auto d = std::make_shared<ModelDefaultOptions>();
  auto seed = std::make_shared<int64_t>(-1);
  auto quiet = std::make_shared<bool>(false);
  sub->add_option("--model", p->model,
                  "SD3 / SD3.5 checkpoint: a single file (sd3.5_medium.safetensors, ...) or a diffusers folder")
      ->required();
  sub->add_option("--prompt", p->prompt, "what the image shows")->required();
  sub->add_option("--negative-prompt", p->negative_prompt, "what it should not show");
  d->add(sub, "--steps", d->steps, &ImageParams::steps, "denoising steps");
  d->add(sub, "--cfg", d->cfg, &ImageParams::cfg, "classifier-free guidance scale");
  d->add(sub, "--sampler", d->sampler, &ImageParams::sampler, "euler or dpmpp_2m");
  d->add(sub, "--shift", d->shift, &ImageParams::shift, "flow schedule shift");
  d->add(sub, "--slg-scale", d->slg_scale, &ImageParams::slg_scale, "skip-layer guidance scale (0: off)");
  d->add(sub, "--slg-layers", d->slg_layers, &ImageParams::slg_layers, "joint blocks skipped, e.g. 7,8,9");
  d->add(sub, "--slg-start", d->slg_start, &ImageParams::slg_start, "skip-layer guidance from this fraction of the steps");
  d->add(sub, "--slg-end", d->slg_end, &ImageParams::slg_end, "... to this fraction");
  sub->add_option("--seed", *seed, "random seed (default: a random one, printed)");
  d->add(sub, "--width", d->width, &ImageParams::width, "width in pixels (multiple of 16; default 1024 or the init image's)");
  d->add(sub, "--height", d->height, &ImageParams::height, "height in pixels (multiple of 16)");
  sub->add_option("--init-image", p->init_image, "start from this image (PNG, JPEG, ...; its size is the output size)");
  sub->add_option("--strength", p->strength, "with --init-image: how much to change it, 0 < s <= 1")->capture_default_str();
  sub->add_option("--clip-l", p->clip_l, "CLIP-L text encoder file (clip_l.safetensors) if the model has none");
  sub->add_option("--clip-g", p->clip_g, "CLIP-G text encoder file (clip_g.safetensors) if the model has none");
  sub->add_option("--t5xxl", p->t5xxl, "T5-XXL text encoder file (t5xxl_fp16.safetensors); optional, better text");
  sub->add_option("-o,--output", p->output, "output .png file")->required();
  sub->add_flag("-q,--quiet", *quiet, "no progress output");
  return {sub, [p, d, seed, quiet] {
            d->apply(*p);
            p->seed = *seed >= 0 ? static_cast<uint64_t>(*seed) : std::random_device{}() % 4294967296ull;
            validate(*p);
            std::fprintf(stderr, "seed %llu\n", static_cast<unsigned long long>(p->seed));
            ProgressBar bar(stderr);
            const ImageReport report = generate_image(*p, *quiet ? ProgressFn{} : ProgressFn(std::ref(bar)));
            bar.finish();
            for (const auto& w : report.warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
            std::string defaulted;
            for (const auto& name : report.defaulted) defaulted += (defaulted.empty() ? "" : ", ") + name;
            std::fprintf(stderr, "model %s (%s); %s\n", report.model_version.c_str(), report.model_description.c_str(),
                         describe(report.settings).c_str());
            if (!defaulted.empty())
              std::fprintf(stderr, "defaults of %s for: %s\n", report.defaults_name.c_str(), defaulted.c_str());
            std::fprintf(stderr, "%s\n",
                         format_run_summary(report.phases, report.step_seconds, report.peak_rss_bytes,
                                            report.peak_working_bytes)
                             .c_str());
            std::printf("%s\n", report.output.c_str());
            return 0;
          }};
}

}  // namespace ad::app

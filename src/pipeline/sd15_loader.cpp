#include "pipeline/sd15_loader.h"

#include <algorithm>
#include <filesystem>

#include "io/diffusers_folder.h"
#include "io/json_file.h"
#include "io/model_detect.h"
#include "models/clip/clip_keys.h"
#include "models/unet/unet_keys.h"
#include "models/vae/vae_keys.h"

namespace ad::pipeline {

namespace {

namespace fs = std::filesystem;

std::vector<int64_t> heads_from(const nlohmann::json& unet_config) {
  for (const char* key : {"num_attention_heads", "attention_head_dim"}) {
    auto it = unet_config.find(key);
    if (it == unet_config.end() || it->is_null()) continue;
    if (it->is_number_integer()) return {it->get<int64_t>()};
    if (it->is_array()) return it->get<std::vector<int64_t>>();
  }
  return {};
}

Activation activation_named(const std::string& name) {
  if (name == "quick_gelu") return Activation::QuickGelu;
  if (name == "gelu") return Activation::Gelu;
  if (name == "gelu_pytorch_tanh" || name == "gelu_new") return Activation::GeluTanh;
  fail("unknown text encoder activation '{}'", name);
}

void build(Sd15Model& m, const nlohmann::json& unet_config, const nlohmann::json& text_config, const std::string& label) {
  const nn::Binder ub(m.unet_weights);
  m.unet = models::UNet2DConditionModel::load(ub, models::UNetConfig::from_weights(ub, heads_from(unet_config)));
  m.unet_weights.check_all_used("SD1.5 UNet");
  const auto& uc = m.unet.config();
  AD_CHECK(uc.in_channels == 4 && uc.out_channels == 4 && uc.levels() >= 2,
           "{}: the UNet has {} input channels and {} levels; an SD1.5 UNet has 4 latent channels (inpainting and "
           "other variants are not supported)",
           label, uc.in_channels, uc.levels());
  m.vae = models::AutoencoderKL::load(nn::Binder(m.vae_weights));
  m.vae_weights.check_all_used("VAE");
  AD_CHECK(m.vae.has_decoder() && m.vae.latent_channels() == 4, "{}: the VAE has {} latent channels, SD1.5 has 4", label,
           m.vae.latent_channels());
  const nn::Binder tb(m.text_weights);
  auto clip = models::ClipTextConfig::from_weights(tb, text_config.value("num_attention_heads", int64_t{0}),
                                                   activation_named(text_config.value("hidden_act", std::string("quick_gelu"))));
  clip.eps = text_config.value("layer_norm_eps", clip.eps);
  m.text_encoder = models::ClipTextModel::load(tb, clip);
  m.text_weights.check_all_used("CLIP text encoder");
  AD_CHECK(clip.hidden == uc.cross_attention_dim,
           "{}: the text encoder is {} wide but the UNet attends to {}-wide text: not an SD1.5-family model", label,
           clip.hidden, uc.cross_attention_dim);
}

// The parts of an SD1.x single file, or an error naming what the file is instead.
std::vector<std::string> sd1_parts(const io::TensorFile& file) {
  const io::ModelDetection d = io::detect_model(file.tensors());
  switch (d.family) {
    case io::ModelFamily::Sd1Checkpoint: return d.parts;
    case io::ModelFamily::Unknown: fail("{}: not a Stable Diffusion checkpoint (no 'model.diffusion_model.*' UNet)", file.path());
    default:
      fail("{}: this is {}{}; animatediff video needs an SD1.5-family checkpoint", file.path(), d.name,
           d.version.empty() ? "" : " (" + d.version + ")");
  }
}

std::unique_ptr<Sd15Model> load_single_file(const std::string& path) {
  const auto file = io::open_tensor_file(path);
  const std::vector<std::string> parts = sd1_parts(*file);
  const auto has = [&](const char* part) { return std::find(parts.begin(), parts.end(), part) != parts.end(); };
  AD_CHECK(has("unet"), "{}: the checkpoint has no UNet ('model.diffusion_model.*'); pass a full SD1.5 checkpoint", path);
  AD_CHECK(has("vae"), "{}: the checkpoint has no VAE ('first_stage_model.*'); pass a full SD1.5 checkpoint", path);
  AD_CHECK(has("text_encoder"),
           "{}: the checkpoint has no CLIP text encoder ('cond_stage_model.transformer.*'); pass a full SD1.5 checkpoint",
           path);
  auto m = std::make_unique<Sd15Model>();
  // One mapping per part, so that a released part unmaps (see Sd15Model::release_text_encoder).
  m->unet_weights = models::unet_weights(file);
  m->vae_weights = models::vae_weights(io::open_tensor_file(path), "first_stage_model.");
  m->text_weights = models::clip_text_weights(io::open_tensor_file(path), "cond_stage_model.transformer.");
  // Hints for what the shapes cannot tell, e.g. {"text_encoder": {"num_attention_heads": 4,
  // "hidden_act": "quick_gelu"}, "unet": {"attention_head_dim": 8}}; released SD1.5 files need
  // none (12 and 8 heads).
  const nlohmann::json hints = io::metadata_json(*file, "animatediff.config");
  build(*m, hints.value("unet", nlohmann::json::object()), hints.value("text_encoder", nlohmann::json::object()), path);
  m->description = "single-file checkpoint";
  return m;
}

std::unique_ptr<Sd15Model> load_folder(const std::string& path) {
  auto need = [&](std::string_view name) {
    auto c = io::open_diffusers_component(path, name);
    AD_CHECK(c && c->weights, "{}: the diffusers folder has no {}/ with weights", path, name);
    return *c;
  };
  const auto unet = need("unet");
  const auto vae = need("vae");
  const auto text = need("text_encoder");
  auto m = std::make_unique<Sd15Model>();
  m->unet_weights = models::unet_weights(unet.weights);
  m->vae_weights = models::vae_weights(vae.weights, "");
  m->text_weights = models::clip_text_weights(text.weights, models::detect_clip_root(*text.weights));
  build(*m, unet.config, text.config, path);
  m->vae_scaling = vae.config.value("scaling_factor", m->vae_scaling);
  if (fs::is_directory(fs::path(path) / "tokenizer")) m->tokenizer_dir = (fs::path(path) / "tokenizer").string();
  m->description = "diffusers folder";
  return m;
}

}  // namespace

void Sd15Model::release_text_encoder() {
  text_encoder = models::ClipTextModel();
  text_weights = nn::WeightMap();
}

void Sd15Model::release_unet() {
  unet = models::UNet2DConditionModel();
  unet_weights = nn::WeightMap();
}

std::unique_ptr<Sd15Model> load_sd15(const std::string& path) {
  AD_CHECK(fs::exists(path), "{}: no such file or folder", path);
  return fs::is_directory(path) ? load_folder(path) : load_single_file(path);
}

}  // namespace ad::pipeline

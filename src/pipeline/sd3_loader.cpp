#include "pipeline/sd3_loader.h"

#include <algorithm>
#include <filesystem>

#include "io/diffusers_folder.h"
#include "io/json_file.h"
#include "io/model_detect.h"
#include "models/mmdit/mmdit_keys.h"
#include "models/sd3_text/sd3_text_encoders.h"
#include "models/t5/t5_keys.h"
#include "models/vae/vae_keys.h"

namespace ad::pipeline {

namespace {

namespace fs = std::filesystem;
using Part = Sd3Checkpoint::Part;

int64_t hinted_heads(const nlohmann::json& hints, const char* part, const char* key) {
  const auto it = hints.find(part);
  return it != hints.end() && it->is_object() ? it->value(key, int64_t{0}) : 0;
}

std::string what_it_is(const io::ModelDetection& d) {
  if (d.family == io::ModelFamily::Unknown) return "no model this program knows";
  const bool plain = d.version.empty() || d.name.find(d.version) != std::string::npos;
  return d.name + (plain ? "" : " (" + d.version + ")");
}

std::shared_ptr<io::TensorFile> open_part_file(const Part& part) {
  if (part.component.empty()) return io::open_tensor_file(part.path);
  const auto c = io::open_diffusers_component(part.path, part.component);
  AD_CHECK(c && c->weights, "{}: the diffusers folder has no {}/ with weights", part.path, part.component);
  return c->weights;
}

models::Sd3TextEncoderSource text_source(const Part& part, bool t5) {
  if (!part.component.empty()) return models::diffusers_text_encoder_source(part.path, part.component.c_str(), t5);
  models::Sd3TextEncoderSource source;
  source.file = io::open_tensor_file(part.path);
  source.heads = part.heads;
  return source;
}

// A text-encoder file given on its own (--clip-l, --clip-g, --t5xxl): it must hold that encoder.
Part separate_encoder(const std::string& path, const char* option, bool t5) {
  AD_CHECK(fs::is_regular_file(path), "{}: no such file (given as {})", path, option);
  const auto file = io::open_tensor_file(path);
  const bool found = t5 ? models::find_t5_root(*file).has_value()
                        : models::find_clip_root(*file, models::ClipSlot::Any).has_value();
  AD_CHECK(found, "{}: given as {} but it holds no {} (detected: {})", path, option, t5 ? "T5 encoder" : "CLIP text encoder",
           what_it_is(io::detect_model(file->tensors())));
  return Part{path, "", 0};
}

bool has_part(const io::ModelDetection& d, const char* part) {
  return std::find(d.parts.begin(), d.parts.end(), part) != d.parts.end();
}

}  // namespace

Sd3Checkpoint Sd3Checkpoint::open(const Sd3Paths& paths) {
  AD_CHECK(fs::exists(paths.model), "{}: no such file or folder", paths.model);
  Sd3Checkpoint c;
  const std::string& root = paths.model;
  if (fs::is_directory(root)) {
    const auto transformer = io::open_diffusers_component(root, "transformer");
    AD_CHECK(transformer && transformer->weights, "{}: not an SD3 diffusers folder (no transformer/ with weights{})", root,
             fs::exists(fs::path(root) / "unet") ? "; it has unet/: an SD1.x / SDXL model" : "");
    const io::ModelDetection d = io::detect_model(transformer->weights->tensors());
    AD_CHECK(d.family == io::ModelFamily::Sd3Transformer, "{}: transformer/ is not an SD3 MMDiT (detected: {})",
             transformer->weights->path(), what_it_is(d));
    c.version_ = d.version;
    c.mmdit_ = {root, "transformer", transformer->config.value("num_attention_heads", int64_t{0})};
    const auto vae = io::open_diffusers_component(root, "vae");
    AD_CHECK(vae && vae->weights, "{}: the diffusers folder has no vae/ with weights", root);
    c.vae_ = {root, "vae", 0};
    c.latent_format_.scale = vae->config.value("scaling_factor", c.latent_format_.scale);
    c.latent_format_.shift = vae->config.value("shift_factor", c.latent_format_.shift);
    const auto component = [&](const char* name) {
      const auto part = io::open_diffusers_component(root, name);
      return part && part->weights ? Part{root, name, 0} : Part{};
    };
    c.clip_l_ = component("text_encoder");
    c.clip_g_ = component("text_encoder_2");
    c.t5_ = component("text_encoder_3");
    if (const auto scheduler = io::open_diffusers_component(root, "scheduler"); scheduler && scheduler->config.contains("shift"))
      c.scheduler_shift_ = scheduler->config["shift"].get<double>();
    if (fs::exists(fs::path(root) / "tokenizer" / "vocab.json")) c.clip_tokenizer_dir_ = (fs::path(root) / "tokenizer").string();
    if (fs::exists(fs::path(root) / "tokenizer_3" / "spiece.model"))
      c.t5_tokenizer_file_ = (fs::path(root) / "tokenizer_3" / "spiece.model").string();
    c.description_ = "diffusers folder";
  } else {
    const auto file = io::open_tensor_file(root);
    const io::ModelDetection d = io::detect_model(file->tensors());
    AD_CHECK(d.family != io::ModelFamily::Unknown,
             "{}: not a Stable Diffusion 3 checkpoint (no 'model.diffusion_model.joint_blocks.*' tensors)", root);
    AD_CHECK(d.family != io::ModelFamily::Sd3Transformer,
             "{}: an SD3 MMDiT alone (diffusers transformer/ weights); pass the diffusers folder it belongs to or a "
             "single-file checkpoint such as sd3.5_medium.safetensors", root);
    AD_CHECK(d.family == io::ModelFamily::Sd3Checkpoint,
             "{}: detected as {}; animatediff image needs an SD3 / SD3.5 checkpoint (sd3.5_medium.safetensors, "
             "sd3.5_large.safetensors, ...)", root, what_it_is(d));
    AD_CHECK(has_part(d, "vae"), "{}: the checkpoint has no VAE ('first_stage_model.*'); SD3.5 single files include it",
             root);
    c.version_ = d.version;
    // Head counts for what the shapes cannot tell: {"mmdit": {"num_heads": 2}, "clip_l":
    // {"num_attention_heads": 2}, ...}; released SD3 files need none (head_dim 64 everywhere).
    const nlohmann::json hints = io::metadata_json(*file, "animatediff.config");
    c.mmdit_ = {root, "", hinted_heads(hints, "mmdit", "num_heads")};
    c.vae_ = {root, "", 0};
    if (has_part(d, "clip_l")) c.clip_l_ = {root, "", hinted_heads(hints, "clip_l", "num_attention_heads")};
    if (has_part(d, "clip_g")) c.clip_g_ = {root, "", hinted_heads(hints, "clip_g", "num_attention_heads")};
    if (has_part(d, "t5xxl")) c.t5_ = {root, "", hinted_heads(hints, "t5xxl", "num_heads")};
    c.description_ = "single file";
  }
  std::vector<std::string> separate;
  const auto take = [&](const std::string& path, const char* option, bool t5, Part& part, const char* name) {
    if (path.empty()) return;
    part = separate_encoder(path, option, t5);
    separate.emplace_back(name);
  };
  take(paths.clip_l, "--clip-l", false, c.clip_l_, "CLIP-L");
  take(paths.clip_g, "--clip-g", false, c.clip_g_, "CLIP-G");
  take(paths.t5xxl, "--t5xxl", true, c.t5_, "T5");
  AD_CHECK(!c.clip_l_.path.empty(), "{}: no CLIP-L text encoder in this model; pass --clip-l FILE (clip_l.safetensors, "
           "from the SD3.5 repository's text_encoders/)", root);
  AD_CHECK(!c.clip_g_.path.empty(), "{}: no CLIP-G text encoder in this model; pass --clip-g FILE (clip_g.safetensors, "
           "from the SD3.5 repository's text_encoders/)", root);
  if (!separate.empty()) {
    std::string list;
    for (const auto& s : separate) list += (list.empty() ? "" : ", ") + s;
    c.description_ += " + separate " + list;
  }
  if (!c.has_t5()) c.description_ += ", no T5";

  const nn::WeightMap map = models::mmdit_weights(open_part_file(c.mmdit_));
  c.mmdit_config_ = models::MmditConfig::from_weights(nn::Binder(map), c.mmdit_.heads);
  return c;
}

models::ClipTextModel Sd3Checkpoint::load_clip_l() const {
  return models::load_sd3_clip(text_source(clip_l_, false), models::ClipSlot::L);
}

models::ClipTextModel Sd3Checkpoint::load_clip_g() const {
  return models::load_sd3_clip(text_source(clip_g_, false), models::ClipSlot::G);
}

Sd3Checkpoint::T5WithFile Sd3Checkpoint::load_t5() const {
  AD_CHECK(has_t5(), "no T5 encoder in this model");
  const models::Sd3TextEncoderSource source = text_source(t5_, true);
  return {models::load_t5(source), source.file};
}

models::MmditModel Sd3Checkpoint::load_mmdit() const {
  const nn::WeightMap map = models::mmdit_weights(open_part_file(mmdit_));
  const nn::Binder b(map);
  models::MmditModel model = models::MmditModel::load(b, models::MmditConfig::from_weights(b, mmdit_.heads));
  map.check_all_used("MMDiT");
  return model;
}

models::AutoencoderKL Sd3Checkpoint::load_vae() const {
  const auto file = open_part_file(vae_);
  const nn::WeightMap map = models::vae_weights(file, vae_.component.empty() ? "first_stage_model." : "");
  models::AutoencoderKL vae = models::AutoencoderKL::load(nn::Binder(map));
  map.check_all_used("VAE");
  AD_CHECK(vae.latent_channels() == 16 && vae.has_encoder() && vae.has_decoder(),
           "{}: the VAE has {} latent channels{}; SD3 needs its 16-channel VAE with encoder and decoder", file->path(),
           vae.latent_channels(), vae.has_encoder() && vae.has_decoder() ? "" : " and lacks a half");
  return vae;
}

}  // namespace ad::pipeline

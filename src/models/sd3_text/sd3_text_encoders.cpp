#include "models/sd3_text/sd3_text_encoders.h"

#include "io/diffusers_folder.h"
#include "models/t5/t5_keys.h"

namespace ad::models {

namespace {

// A diffusers / HF config's activation name ("quick_gelu", "gelu", "gelu_new", ...).
std::optional<Activation> activation_from_config(const nlohmann::json& config, const std::string& path) {
  const auto it = config.find("hidden_act");
  if (it == config.end() || !it->is_string()) return std::nullopt;
  const std::string name = it->get<std::string>();
  if (name == "quick_gelu") return Activation::QuickGelu;
  if (name == "gelu") return Activation::Gelu;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh") return Activation::GeluTanh;
  fail("{}: unsupported CLIP activation '{}'", path, name);
}

}  // namespace

Sd3TextEncoderSource diffusers_text_encoder_source(const std::string& root, const char* component, bool t5) {
  Sd3TextEncoderSource source;
  const auto c = io::open_diffusers_component(root, component);
  if (!c || !c->weights) return source;
  source.file = c->weights;
  const char* heads_key = t5 ? "num_heads" : "num_attention_heads";
  const char* eps_key = t5 ? "layer_norm_epsilon" : "layer_norm_eps";
  if (c->config.contains(heads_key)) source.heads = c->config[heads_key].get<int64_t>();
  if (c->config.contains(eps_key)) source.eps = c->config[eps_key].get<float>();
  if (t5) source.max_distance = c->config.value("relative_attention_max_distance", int64_t{0});
  else source.activation = activation_from_config(c->config, c->config_path);
  return source;
}

Sd3TextEncoderFiles Sd3TextEncoderFiles::from_single_file(const std::shared_ptr<io::TensorFile>& file) {
  Sd3TextEncoderFiles files;
  for (ClipSlot slot : {ClipSlot::L, ClipSlot::G}) {
    const auto root = find_clip_root(*file, slot);
    AD_CHECK(root && !root->prefix.empty(), "{}: no {} text encoder (expected 'text_encoders.{}.transformer.*' tensors)",
             file->path(), slot == ClipSlot::L ? "CLIP-L" : "CLIP-G", slot == ClipSlot::L ? "clip_l" : "clip_g");
  }
  files.clip_l.file = file;
  files.clip_g.file = file;
  const auto t5_root = find_t5_root(*file);
  if (t5_root && !t5_root->empty()) files.t5.file = file;
  return files;
}

Sd3TextEncoderFiles Sd3TextEncoderFiles::from_diffusers(const std::string& root) {
  Sd3TextEncoderFiles files;
  files.clip_l = diffusers_text_encoder_source(root, "text_encoder", false);
  files.clip_g = diffusers_text_encoder_source(root, "text_encoder_2", false);
  files.t5 = diffusers_text_encoder_source(root, "text_encoder_3", true);
  AD_CHECK(files.clip_l.file && files.clip_g.file, "{}: an SD3 folder needs text_encoder/ and text_encoder_2/ with weights",
           root);
  return files;
}

ClipTextModel load_sd3_clip(const Sd3TextEncoderSource& source, ClipSlot slot) {
  AD_CHECK(source.file != nullptr, "no weights given for the {} text encoder", slot == ClipSlot::L ? "CLIP-L" : "CLIP-G");
  const auto root = find_clip_root(*source.file, slot);
  AD_CHECK(root.has_value(), "{}: no CLIP text encoder found (expected HF 'text_model.*' or OpenCLIP "
           "'transformer.resblocks.*' tensors under one of the known prefixes)", source.file->path());
  const nn::WeightMap map = clip_text_weights(source.file, *root);
  const nn::Binder b(map);
  const Activation default_activation = slot == ClipSlot::L ? Activation::QuickGelu : Activation::Gelu;
  ClipTextConfig config = ClipTextConfig::from_weights(b, source.heads, source.activation.value_or(default_activation));
  if (source.eps) config.eps = *source.eps;
  ClipTextModel model = ClipTextModel::load(b, config);
  map.check_all_used(slot == ClipSlot::L ? "CLIP-L text encoder" : "CLIP-G text encoder");
  return model;
}

T5Encoder load_t5(const Sd3TextEncoderSource& source) {
  AD_CHECK(source.file != nullptr, "no weights given for the T5 text encoder");
  const auto root = find_t5_root(*source.file);
  AD_CHECK(root.has_value(), "{}: no T5 encoder found (expected 'encoder.block.*' and 'encoder.final_layer_norm.weight', "
           "optionally under '{}')", source.file->path(), kSd3T5Prefix);
  const nn::WeightMap map = t5_encoder_weights(source.file, *root);
  const nn::Binder b(map);
  T5Config config = T5Config::from_weights(b, source.heads);
  if (source.eps) config.eps = *source.eps;
  if (source.max_distance > 0) config.max_distance = source.max_distance;
  T5Encoder model = T5Encoder::load(b, config);
  map.check_all_used("T5 encoder");
  return model;
}

Sd3TextEncoders Sd3TextEncoders::load(const Sd3TextEncoderFiles& files) {
  Sd3TextEncoders encoders;
  encoders.clip_l = load_sd3_clip(files.clip_l, ClipSlot::L);
  encoders.clip_g = load_sd3_clip(files.clip_g, ClipSlot::G);
  if (files.t5.file) encoders.t5 = load_t5(files.t5);
  return encoders;
}

}  // namespace ad::models

#include "io/model_detect.h"

#include <set>
#include <unordered_map>

#include <fmt/format.h>

namespace ad::io {

namespace {

// Name and shape lookups over one tensor list.
class Keys {
 public:
  explicit Keys(const std::vector<TensorInfo>& tensors) : tensors_(tensors) {
    for (const auto& t : tensors) by_name_.emplace(t.name, &t);
  }
  bool has(std::string_view name) const { return by_name_.count(name) != 0; }
  bool has_prefix(std::string_view prefix) const {
    for (const auto& t : tensors_)
      if (std::string_view(t.name).substr(0, prefix.size()) == prefix) return true;
    return false;
  }
  // A name that starts with `prefix` and contains `text` after it.
  bool has(std::string_view prefix, std::string_view text) const {
    for (const auto& t : tensors_) {
      const std::string_view name = t.name;
      if (name.substr(0, prefix.size()) == prefix && name.find(text, prefix.size()) != std::string_view::npos)
        return true;
    }
    return false;
  }
  // Size of dimension d (negative counts from the end) of a tensor; -1 when absent.
  int64_t dim(std::string_view name, int d) const {
    auto it = by_name_.find(name);
    if (it == by_name_.end()) return -1;
    const Shape& shape = it->second->shape;
    const int i = d < 0 ? shape.size() + d : d;
    return i >= 0 && i < shape.size() ? shape[i] : -1;
  }
  // The first name containing `text`, or nullptr.
  const TensorInfo* find_containing(std::string_view text) const {
    for (const auto& t : tensors_)
      if (t.name.find(text) != std::string::npos) return &t;
    return nullptr;
  }
  // How many distinct N appear in names "<prefix>N.".
  int count_indices(std::string_view prefix) const {
    std::set<std::string_view> seen;
    for (const auto& t : tensors_) {
      const std::string_view name = t.name;
      if (name.substr(0, prefix.size()) != prefix) continue;
      const size_t dot = name.find('.', prefix.size());
      if (dot != std::string_view::npos && dot > prefix.size()) seen.insert(name.substr(prefix.size(), dot - prefix.size()));
    }
    return static_cast<int>(seen.size());
  }

 private:
  const std::vector<TensorInfo>& tensors_;
  std::unordered_map<std::string_view, const TensorInfo*> by_name_;
};

// Latent channels of a VAE (LDM or diffusers names, bare or under first_stage_model.); 0 if unknown.
int64_t vae_latent_channels(const Keys& k) {
  for (const char* prefix : {"", "first_stage_model."}) {
    const std::string p = prefix;
    if (int64_t c = k.dim(p + "decoder.conv_in.weight", 1); c > 0) return c;
    if (int64_t c = k.dim(p + "encoder.conv_out.weight", 0); c > 0) return c / 2;
  }
  return 0;
}

bool is_vae(const Keys& k) {
  return k.has_prefix("encoder.down") || k.has_prefix("decoder.up") || k.has_prefix("first_stage_model.encoder.") ||
         k.has_prefix("first_stage_model.decoder.");
}

// Cross-attention (text context) width of an LDM UNet: 768 SD1.x, 1024 SD2.x.
int64_t ldm_context_width(const Keys& k) {
  return k.dim("model.diffusion_model.input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight", 1);
}

void add_part(ModelDetection& d, const Keys& k, std::string_view prefix, const char* part) {
  if (k.has_prefix(prefix)) d.parts.emplace_back(part);
}

void describe_sd1_checkpoint(const Keys& k, ModelDetection& d) {
  d.version = "SD1.x";
  add_part(d, k, "model.diffusion_model.", "unet");
  add_part(d, k, "first_stage_model.", "vae");
  add_part(d, k, "cond_stage_model.transformer.", "text_encoder");
  if (const int64_t width = ldm_context_width(k); width > 0 && width != 768)
    d.note = fmt::format("cross-attention width {} (SD1.x has 768)", width);
}

// SD3 Medium: no qk norm; SD3.5 Medium: dual attention (x_block.attn2) in the first blocks;
// SD3.5 Large: qk RMS norm (ln_q), 38 blocks. `blocks` is the block prefix, `attn2`/`qk` the
// markers in that naming.
void describe_mmdit(const Keys& k, ModelDetection& d, const std::string& blocks, std::string_view attn2,
                    std::string_view qk) {
  const int depth = k.count_indices(blocks);
  int expected = 24;
  if (k.has(blocks, attn2)) {
    d.version = "SD3.5 Medium";
  } else if (k.has(blocks, qk)) {
    d.version = "SD3.5 Large";
    expected = 38;
  } else {
    d.version = "SD3 Medium";
  }
  if (depth != expected) d.note = fmt::format("{} blocks (the released model has {})", depth, expected);
}

void describe_sd3_checkpoint(const Keys& k, ModelDetection& d) {
  describe_mmdit(k, d, "model.diffusion_model.joint_blocks.", ".x_block.attn2.", ".attn.ln_q.");
  d.parts.emplace_back("mmdit");
  add_part(d, k, "text_encoders.clip_l.", "clip_l");
  add_part(d, k, "text_encoders.clip_g.", "clip_g");
  add_part(d, k, "text_encoders.t5xxl.", "t5xxl");
  add_part(d, k, "first_stage_model.", "vae");
}

void describe_sd3_transformer(const Keys& k, ModelDetection& d) {
  describe_mmdit(k, d, "transformer_blocks.", ".attn2.", ".attn.norm_q.");
}

// AnimateDiff versions as diffusers tells them: a mid-block module means v2; otherwise the
// positional table length, 24 for v1 and 32 for v3. 320 channels in up_blocks.2 is SDXL.
void describe_motion(const Keys& k, ModelDetection& d) {
  const bool original = d.family == ModelFamily::MotionModule;
  const std::string norm = original ? "up_blocks.2.motion_modules.0.temporal_transformer.norm.weight"
                                    : "up_blocks.2.motion_modules.0.norm.weight";
  const TensorInfo* pe = k.find_containing(original ? "pos_encoder.pe" : "pos_embed.pe");
  const int64_t pe_length = pe && pe->shape.size() == 3 ? pe->shape[1] : -1;
  if (k.has_prefix("mid_block.motion_modules.")) {
    d.version = "v2";
  } else if (k.dim(norm, -1) == 320) {
    d.version = "SDXL beta";
    d.supported = false;
    d.note = "motion modules for SDXL";
  } else if (pe_length == 24) {
    d.version = "v1";
  } else if (pe_length > 0) {
    d.version = "v3";
  } else {
    d.version = "v1 or v3";
    d.note = "no positional table to tell v1 (24) from v3 (32)";
  }
  if (d.note.empty() && pe_length > 0) d.note = fmt::format("positional table length {}", pe_length);
}

void describe_unet(const Keys& k, ModelDetection& d) {
  const int64_t width = k.dim("down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight", 1);
  if (k.has_prefix("add_embedding.")) {
    d.version = "SDXL";
    d.supported = false;
  } else if (width == 1024) {
    d.version = "SD2.x";
    d.supported = false;
  } else {
    d.version = "SD1.x";
    if (width > 0 && width != 768) d.note = fmt::format("cross-attention width {} (SD1.x has 768)", width);
  }
  d.parts.emplace_back("unet");
  if (k.has("down_blocks.0.", ".motion_modules.")) {
    d.name = "UNetMotionModel";
    d.parts.emplace_back("motion_modules");
  }
}

void describe_vae(const Keys& k, ModelDetection& d) {
  const int64_t latent = vae_latent_channels(k);
  if (latent == 16) {
    d.version = "SD3";
  } else if (latent == 4) {
    d.version = "SD1.x / SD2.x";
  } else {
    d.note = latent > 0 ? fmt::format("{} latent channels", latent) : "latent channels unknown (no conv_in/conv_out)";
  }
  add_part(d, k, "encoder.", "encoder");
  add_part(d, k, "first_stage_model.encoder.", "encoder");
  add_part(d, k, "decoder.", "decoder");
  add_part(d, k, "first_stage_model.decoder.", "decoder");
}

void describe_clip(const Keys& k, ModelDetection& d) {
  const int64_t width = k.dim("text_model.embeddings.token_embedding.weight", 1);
  const int layers = k.count_indices("text_model.encoder.layers.");
  if (width == 768) {
    d.version = "CLIP-L";
  } else if (width == 1280) {
    d.version = "CLIP-G";
  } else if (width == 1024) {
    d.version = "OpenCLIP-H (SD2.x)";
    d.supported = false;
  }
  d.note = fmt::format("width {}, {} layers{}", width, layers, k.has("text_projection.weight") ? ", text projection" : "");
}

void describe_t5(const Keys& k, ModelDetection& d) {
  int64_t width = k.dim("shared.weight", 1);
  if (width < 0) width = k.dim("encoder.embed_tokens.weight", 1);
  const int blocks = k.count_indices("encoder.block.");
  if (width == 4096 && blocks == 24) d.version = "T5 v1.1 XXL";
  d.note = fmt::format("width {}, {} blocks", width, blocks);
}

struct Rule {
  ModelFamily family;
  const char* name;
  bool supported;
  bool (*matches)(const Keys&);
  void (*describe)(const Keys&, ModelDetection&);  // version, parts, note; may be null
};

// First match wins, so the most specific come first: a single-file checkpoint holds the names of
// its parts, and an SD3 VAE would otherwise pass for part of an SD1 checkpoint.
const Rule kRules[] = {
    {ModelFamily::SdxlCheckpoint, "SDXL checkpoint", false,
     [](const Keys& k) { return k.has_prefix("conditioner.embedders."); }, nullptr},
    {ModelFamily::Sd3Checkpoint, "SD3 checkpoint", true,
     [](const Keys& k) { return k.has_prefix("model.diffusion_model.joint_blocks."); }, describe_sd3_checkpoint},
    {ModelFamily::Sd2Checkpoint, "SD2.x checkpoint", false,
     [](const Keys& k) { return k.has_prefix("cond_stage_model.model.") || ldm_context_width(k) == 1024; }, nullptr},
    {ModelFamily::Sd3Vae, "VAE", true,
     [](const Keys& k) { return vae_latent_channels(k) == 16 && !k.has_prefix("model.diffusion_model."); },
     describe_vae},
    {ModelFamily::Sd1Checkpoint, "SD1.x checkpoint", true,
     [](const Keys& k) {
       return k.has_prefix("model.diffusion_model.") || k.has_prefix("cond_stage_model.transformer.") ||
              (k.has_prefix("first_stage_model.") && vae_latent_channels(k) == 4);
     },
     describe_sd1_checkpoint},
    {ModelFamily::SparseCtrl, "AnimateDiff SparseCtrl", false,
     [](const Keys& k) { return k.has_prefix("controlnet_cond_embedding."); }, nullptr},
    {ModelFamily::MotionModule, "AnimateDiff motion module", true,
     [](const Keys& k) { return k.has("", ".motion_modules.") && k.has("", ".temporal_transformer."); },
     describe_motion},
    {ModelFamily::Unet, "UNet2DConditionModel", true,
     [](const Keys& k) { return k.has("conv_in.weight") && k.has_prefix("down_blocks.0.resnets."); }, describe_unet},
    {ModelFamily::MotionAdapter, "diffusers MotionAdapter", true,
     [](const Keys& k) { return k.has("", ".motion_modules.") && k.has("", ".transformer_blocks.0.attn1."); },
     describe_motion},
    {ModelFamily::Sd3Transformer, "SD3Transformer2DModel", true,
     [](const Keys& k) { return k.has_prefix("transformer_blocks.0.attn.add_q_proj.") && k.has_prefix("context_embedder."); },
     describe_sd3_transformer},
    {ModelFamily::Vae, "VAE", true, is_vae, describe_vae},
    {ModelFamily::ClipText, "CLIP text encoder", true,
     [](const Keys& k) { return k.has_prefix("text_model.encoder.layers."); }, describe_clip},
    {ModelFamily::OpenClipText, "CLIP text encoder (OpenCLIP names)", false,
     [](const Keys& k) { return k.has_prefix("transformer.resblocks."); }, nullptr},
    {ModelFamily::T5Encoder, "T5 encoder", true,
     [](const Keys& k) { return k.has_prefix("encoder.block.") && k.has_prefix("encoder.final_layer_norm."); },
     describe_t5},
};

}  // namespace

ModelDetection detect_model(const std::vector<TensorInfo>& tensors) {
  const Keys keys(tensors);
  for (const Rule& rule : kRules) {
    if (!rule.matches(keys)) continue;
    ModelDetection d;
    d.family = rule.family;
    d.name = rule.name;
    d.supported = rule.supported;
    if (rule.describe) rule.describe(keys, d);
    if (!rule.supported && d.note.empty()) d.note = "not supported by this engine";
    return d;
  }
  ModelDetection unknown;
  unknown.name = "unknown";
  unknown.note = tensors.empty() ? "no tensors" : "no known key pattern";
  return unknown;
}

std::string_view model_family_id(ModelFamily family) {
  switch (family) {
    case ModelFamily::Unknown: return "unknown";
    case ModelFamily::Sd1Checkpoint: return "sd1_checkpoint";
    case ModelFamily::Sd2Checkpoint: return "sd2_checkpoint";
    case ModelFamily::SdxlCheckpoint: return "sdxl_checkpoint";
    case ModelFamily::Sd3Checkpoint: return "sd3_checkpoint";
    case ModelFamily::Sd3Transformer: return "sd3_transformer";
    case ModelFamily::Unet: return "unet";
    case ModelFamily::Vae: return "vae";
    case ModelFamily::Sd3Vae: return "sd3_vae";
    case ModelFamily::ClipText: return "clip_text";
    case ModelFamily::OpenClipText: return "openclip_text";
    case ModelFamily::T5Encoder: return "t5_encoder";
    case ModelFamily::MotionModule: return "motion_module";
    case ModelFamily::MotionAdapter: return "motion_adapter";
    case ModelFamily::SparseCtrl: return "sparsectrl";
  }
  return "unknown";
}

}  // namespace ad::io

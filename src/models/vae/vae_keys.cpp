#include "models/vae/vae_keys.h"

#include <charconv>
#include <regex>

namespace ad::models {

namespace {

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  for (size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
  return s;
}

// Renames shared by both halves: the mid block and the ResNet shortcut.
std::string rename_common(std::string s) {
  static const std::pair<std::string_view, std::string_view> kRules[] = {
      {".mid.block_1.", ".mid_block.resnets.0."},          {".mid.block_2.", ".mid_block.resnets.1."},
      {".mid.attn_1.norm.", ".mid_block.attentions.0.group_norm."},
      {".mid.attn_1.q.", ".mid_block.attentions.0.to_q."}, {".mid.attn_1.k.", ".mid_block.attentions.0.to_k."},
      {".mid.attn_1.v.", ".mid_block.attentions.0.to_v."},
      {".mid.attn_1.proj_out.", ".mid_block.attentions.0.to_out.0."},
      {".nin_shortcut.", ".conv_shortcut."},                {".norm_out.", ".conv_norm_out."},
  };
  s = "." + s;
  for (const auto& [from, to] : kRules) s = replace_all(s, from, to);
  return s.substr(1);
}

}  // namespace

std::optional<std::string> vae_ldm_to_diffusers(const std::string& name, int decoder_levels) {
  static const std::regex kDown(R"(^encoder\.down\.(\d+)\.(block\.(\d+)|downsample)\.(.*)$)");
  static const std::regex kUp(R"(^decoder\.up\.(\d+)\.(block\.(\d+)|upsample)\.(.*)$)");
  std::smatch m;
  if (std::regex_match(name, m, kDown)) {
    const std::string part = m[3].matched ? "resnets." + m[3].str() : "downsamplers.0";
    return rename_common("encoder.down_blocks." + m[1].str() + "." + part + "." + m[4].str());
  }
  if (std::regex_match(name, m, kUp)) {
    const int level = std::stoi(m[1].str());
    if (level >= decoder_levels) return std::nullopt;
    const std::string part = m[3].matched ? "resnets." + m[3].str() : "upsamplers.0";
    return rename_common("decoder.up_blocks." + std::to_string(decoder_levels - 1 - level) + "." + part + "." + m[4].str());
  }
  static const char* kKnownRoots[] = {"encoder.conv_in.", "encoder.conv_out.", "encoder.norm_out.", "encoder.mid.",
                                      "decoder.conv_in.", "decoder.conv_out.", "decoder.norm_out.", "decoder.mid.",
                                      "quant_conv.",      "post_quant_conv."};
  for (const char* root : kKnownRoots)
    if (starts_with(name, root)) return rename_common(name);
  return std::nullopt;
}

nn::WeightMap vae_weights(const std::shared_ptr<io::TensorFile>& file, const std::string& prefix) {
  bool ldm = false;
  int decoder_levels = 0;
  static const std::regex kUpLevel(R"(^decoder\.up\.(\d+)\.)");
  for (const auto& info : file->tensors()) {
    if (!starts_with(info.name, prefix)) continue;
    const std::string local = info.name.substr(prefix.size());
    if (starts_with(local, "encoder.down.") || starts_with(local, "decoder.up.") || starts_with(local, "encoder.mid.") ||
        starts_with(local, "decoder.mid."))
      ldm = true;
    std::smatch m;
    if (std::regex_search(local, m, kUpLevel)) decoder_levels = std::max(decoder_levels, std::stoi(m[1].str()) + 1);
  }
  nn::WeightMap map;
  if (ldm) {
    map.add_file(file, prefix, [decoder_levels](const std::string& name) { return vae_ldm_to_diffusers(name, decoder_levels); });
  } else {
    map.add_file(file, prefix, [](const std::string& name) -> std::optional<std::string> {
      static const std::pair<std::string_view, std::string_view> kOld[] = {
          {".attentions.0.query.", ".attentions.0.to_q."}, {".attentions.0.key.", ".attentions.0.to_k."},
          {".attentions.0.value.", ".attentions.0.to_v."}, {".attentions.0.proj_attn.", ".attentions.0.to_out.0."}};
      std::string s = name;
      for (const auto& [from, to] : kOld) s = replace_all(s, from, to);
      return s;
    });
  }
  return map;
}

std::string detect_vae_prefix(const io::TensorFile& file) {
  for (const char* prefix : {"first_stage_model.", ""})
    for (const char* probe : {"decoder.conv_in.weight", "encoder.conv_in.weight"})
      if (file.find(std::string(prefix) + probe)) return prefix;
  fail("{}: no VAE found (expected 'decoder.conv_in.weight' or 'encoder.conv_in.weight', optionally under "
       "'first_stage_model.')",
       file.path());
}

}  // namespace ad::models

#include "models/unet/unet_keys.h"

#include <charconv>
#include <vector>

namespace ad::models {

namespace {

bool starts_with(const std::string& s, std::string_view prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// Reads "<number>." at the front of `s`, advancing past it.
std::optional<int> take_index(std::string_view& s) {
  int value = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || ptr == s.data() || ptr == s.data() + s.size() || *ptr != '.') return std::nullopt;
  s.remove_prefix(static_cast<size_t>(ptr - s.data()) + 1);
  return value;
}

std::optional<std::string> resnet_name(std::string_view rest) {
  static const std::pair<std::string_view, std::string_view> kResnet[] = {
      {"in_layers.0.", "norm1."},         {"in_layers.2.", "conv1."},  {"emb_layers.1.", "time_emb_proj."},
      {"out_layers.0.", "norm2."},        {"out_layers.3.", "conv2."}, {"skip_connection.", "conv_shortcut."},
  };
  for (const auto& [ldm, diffusers] : kResnet)
    if (rest.substr(0, ldm.size()) == ldm) return std::string(diffusers) + std::string(rest.substr(ldm.size()));
  return std::nullopt;
}

std::optional<std::string> prefixed(const std::string& prefix, std::optional<std::string> rest) {
  if (!rest) return std::nullopt;
  return prefix + *rest;
}

}  // namespace

std::optional<std::string> unet_ldm_to_diffusers(const std::string& name, int L) {
  static const std::pair<std::string_view, std::string_view> kFixed[] = {
      {"time_embed.0.", "time_embedding.linear_1."}, {"time_embed.2.", "time_embedding.linear_2."},
      {"input_blocks.0.0.", "conv_in."},             {"out.0.", "conv_norm_out."},
      {"out.2.", "conv_out."},
  };
  for (const auto& [ldm, diffusers] : kFixed)
    if (starts_with(name, ldm)) return std::string(diffusers) + name.substr(ldm.size());
  std::string_view rest(name);
  if (starts_with(name, "middle_block.")) {
    rest.remove_prefix(13);
    const auto m = take_index(rest);
    if (m == 0) return prefixed("mid_block.resnets.0.", resnet_name(rest));
    if (m == 1) return "mid_block.attentions.0." + std::string(rest);
    if (m == 2) return prefixed("mid_block.resnets.1.", resnet_name(rest));
    return std::nullopt;
  }
  const bool input = starts_with(name, "input_blocks.");
  const bool output = starts_with(name, "output_blocks.");
  if (!input && !output) return std::nullopt;
  rest.remove_prefix(input ? 13 : 14);
  const auto n = take_index(rest);
  const auto m = take_index(rest);
  if (!n || !m) return std::nullopt;
  const int index = input ? *n - 1 : *n;
  if (index < 0) return std::nullopt;
  const std::string i = std::to_string(index / (L + 1));
  const int j = index % (L + 1);
  const std::string block = (input ? "down_blocks." : "up_blocks.") + i + ".";
  if (input) {
    if (j == L && *m == 0 && rest.substr(0, 3) == "op.") return block + "downsamplers.0.conv." + std::string(rest.substr(3));
    if (j < L && *m == 0) return prefixed(block + "resnets." + std::to_string(j) + ".", resnet_name(rest));
    if (j < L && *m == 1) return block + "attentions." + std::to_string(j) + "." + std::string(rest);
    return std::nullopt;
  }
  if (*m == 0) return prefixed(block + "resnets." + std::to_string(j) + ".", resnet_name(rest));
  if (*m == 1 && rest.substr(0, 5) == "conv.") return block + "upsamplers.0.conv." + std::string(rest.substr(5));
  if (*m == 1) return block + "attentions." + std::to_string(j) + "." + std::string(rest);
  if (*m == 2 && rest.substr(0, 5) == "conv.") return block + "upsamplers.0.conv." + std::string(rest.substr(5));
  return std::nullopt;
}

int ldm_unet_layers_per_block(const io::TensorFile& file) {
  const std::string prefix = std::string(kLdmUNetPrefix) + "input_blocks.";
  int first_downsampler = -1;
  int blocks = 0;
  for (const auto& info : file.tensors()) {
    if (!starts_with(info.name, prefix)) continue;
    std::string_view rest(info.name);
    rest.remove_prefix(prefix.size());
    const auto n = take_index(rest);
    if (!n) continue;
    blocks = std::max(blocks, *n + 1);
    if (rest.substr(0, 5) == "0.op." && (first_downsampler < 0 || *n < first_downsampler)) first_downsampler = *n;
  }
  AD_CHECK(blocks > 0, "{}: no '{}*' tensors", file.path(), prefix);
  return first_downsampler > 0 ? first_downsampler - 1 : blocks - 1;
}

nn::WeightMap unet_weights(const std::shared_ptr<io::TensorFile>& file) {
  nn::WeightMap map;
  bool ldm = false;
  for (const auto& info : file->tensors())
    if (starts_with(info.name, kLdmUNetPrefix)) ldm = true;
  if (ldm) {
    const int layers = ldm_unet_layers_per_block(*file);
    map.add_file(file, kLdmUNetPrefix, [layers](const std::string& name) { return unet_ldm_to_diffusers(name, layers); });
  } else {
    map.add_file(file, "", [](const std::string& name) { return std::optional<std::string>(name); });
  }
  return map;
}

}  // namespace ad::models

#include "models/clip/openclip_keys.h"

#include <array>
#include <utility>

namespace ad::models {

namespace {

bool starts_with(const std::string& s, std::string_view prefix) { return s.compare(0, prefix.size(), prefix) == 0; }

// "transformer.resblocks.{i}.rest" -> (i, rest); nullopt for other names.
std::optional<std::pair<std::string, std::string>> split_resblock(const std::string& name) {
  constexpr std::string_view kBlocks = "transformer.resblocks.";
  if (!starts_with(name, kBlocks)) return std::nullopt;
  const size_t dot = name.find('.', kBlocks.size());
  if (dot == std::string::npos || dot == kBlocks.size()) return std::nullopt;
  const std::string index = name.substr(kBlocks.size(), dot - kBlocks.size());
  for (char c : index)
    if (c < '0' || c > '9') return std::nullopt;
  return std::make_pair(index, name.substr(dot + 1));
}

}  // namespace

std::optional<std::string> openclip_to_hf(const std::string& name) {
  if (name == "token_embedding.weight") return std::string("text_model.embeddings.token_embedding.weight");
  if (name == "positional_embedding") return std::string("text_model.embeddings.position_embedding.weight");
  if (name == "ln_final.weight" || name == "ln_final.bias")
    return "text_model.final_layer_norm." + name.substr(sizeof("ln_final.") - 1);
  const auto block = split_resblock(name);
  if (!block) return std::nullopt;
  static const std::array<std::pair<std::string_view, std::string_view>, 5> kRenames = {{
      {"ln_1.", "layer_norm1."},
      {"ln_2.", "layer_norm2."},
      {"attn.out_proj.", "self_attn.out_proj."},
      {"mlp.c_fc.", "mlp.fc1."},
      {"mlp.c_proj.", "mlp.fc2."},
  }};
  const auto& [index, rest] = *block;
  for (const auto& [from, to] : kRenames) {
    if (!starts_with(rest, from)) continue;
    const std::string leaf = rest.substr(from.size());
    if (leaf != "weight" && leaf != "bias") return std::nullopt;
    return "text_model.encoder.layers." + index + "." + std::string(to) + leaf;
  }
  return std::nullopt;
}

nn::WeightMap openclip_text_weights(const std::shared_ptr<io::TensorFile>& file, const std::string& root_prefix) {
  nn::WeightMap map;
  std::vector<std::string> ignored;
  for (const auto& info : file->tensors()) {
    if (!starts_with(info.name, root_prefix)) continue;
    const std::string local = info.name.substr(root_prefix.size());
    if (local == "text_projection") {
      map.add("text_projection.weight", nn::WeightSource{file, info.name, nn::WeightTransform::Transpose});
      continue;
    }
    if (starts_with(local, "visual.") || local == "logit_scale" || local == "attn_mask") {
      ignored.push_back("ignored." + local);
      map.add(ignored.back(), nn::WeightSource{file, info.name});
      continue;
    }
    const auto block = split_resblock(local);
    if (block && (block->second == "attn.in_proj_weight" || block->second == "attn.in_proj_bias")) {
      const std::string leaf = block->second == "attn.in_proj_weight" ? "weight" : "bias";
      const std::string base = "text_model.encoder.layers." + block->first + ".self_attn.";
      static const char* kParts[] = {"q_proj.", "k_proj.", "v_proj."};
      for (int part = 0; part < 3; ++part)
        map.add(base + kParts[part] + leaf, nn::WeightSource{file, info.name, nn::WeightTransform::Chunk, part, 3});
      continue;
    }
    if (auto hf = openclip_to_hf(local)) map.add(*hf, nn::WeightSource{file, info.name});
    else map.add_unexpected(file, info.name);
  }
  for (const auto& name : ignored) map.mark_used(name);
  return map;
}

}  // namespace ad::models

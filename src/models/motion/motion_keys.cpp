#include "models/motion/motion_keys.h"

#include <regex>

namespace ad::models {

std::optional<std::string> motion_original_to_diffusers(const std::string& name) {
  static const std::regex kModule(R"(^((?:down_blocks\.\d+|mid_block|up_blocks\.\d+)\.motion_modules\.\d+\.)(.*)$)");
  static const std::regex kAttention(R"(^transformer_blocks\.(\d+)\.attention_blocks\.(\d+)\.(.*)$)");
  static const std::regex kNorm(R"(^transformer_blocks\.(\d+)\.norms\.(\d+)\.(.*)$)");
  std::smatch m;
  if (!std::regex_match(name, m, kModule)) return std::nullopt;
  const std::string module = m[1].str();
  std::string rest = m[2].str();
  if (rest.rfind("temporal_transformer.", 0) != 0) return module + rest;  // already diffusers names
  rest = rest.substr(21);
  if (std::regex_match(rest, m, kAttention))
    return module + "transformer_blocks." + m[1].str() + ".attn" + std::to_string(std::stoi(m[2].str()) + 1) + "." + m[3].str();
  if (std::regex_match(rest, m, kNorm))
    return module + "transformer_blocks." + m[1].str() + ".norm" + std::to_string(std::stoi(m[2].str()) + 1) + "." + m[3].str();
  static const std::regex kFfNorm(R"(^transformer_blocks\.(\d+)\.ff_norm\.(.*)$)");
  if (std::regex_match(rest, m, kFfNorm)) return module + "transformer_blocks." + m[1].str() + ".norm3." + m[2].str();
  return module + rest;  // norm, proj_in, proj_out, transformer_blocks.T.ff.*
}

nn::WeightMap motion_module_weights(const std::shared_ptr<io::TensorFile>& file) {
  nn::WeightMap map;
  static const std::regex kStart(R"((?:^|\.)((?:down_blocks|mid_block|up_blocks)[.].*)$)");
  bool any = false;
  for (const auto& info : file->tensors()) {
    if (info.name.find("motion_modules.") == std::string::npos) continue;
    std::smatch m;
    const std::string local = std::regex_search(info.name, m, kStart) ? m[1].str() : info.name;
    const auto canonical = motion_original_to_diffusers(local);
    if (!canonical) {
      map.add_unexpected(file, info.name);
      continue;
    }
    map.add(*canonical, nn::WeightSource{file, info.name});
    any = true;
  }
  AD_CHECK(any, "{}: no motion module tensors (no key contains 'motion_modules.'); is this an AnimateDiff motion module?",
           file->path());
  return map;
}

}  // namespace ad::models

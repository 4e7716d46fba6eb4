#include <regex>
#include <set>

#include "models/motion/motion_module.h"

namespace ad::models {

MotionModuleSet MotionModuleSet::load(const nn::WeightMap& map, const MotionModuleOptions& options, int64_t heads) {
  MotionModuleSet set;
  set.options_ = options;
  static const std::regex kSlot(R"(^((?:down_blocks\.\d+|mid_block|up_blocks\.\d+)\.motion_modules\.\d+)\.)");
  std::set<std::string> slots;
  bool mid = false;
  int64_t stored_len = 0;
  for (const auto& name : map.names()) {
    std::smatch m;
    if (!std::regex_search(name, m, kSlot)) continue;
    slots.insert(m[1].str());
    if (m[1].str().rfind("mid_block", 0) == 0) mid = true;
    if (name.size() > 3 && name.compare(name.size() - 3, 3, ".pe") == 0) {
      const Shape s = map.shape(name);
      if (s.size() == 3) stored_len = s[1];
    }
  }
  AD_CHECK(!slots.empty(), "{}: no motion modules found", map.files());
  // Version as diffusers detects it: a mid-block module means v2; else the table length.
  if (mid) set.version_ = MotionModuleVersion::V2;
  else if (stored_len == 24) set.version_ = MotionModuleVersion::V1;
  else if (stored_len == 32) set.version_ = MotionModuleVersion::V3;
  set.max_len_ = stored_len > 0 ? stored_len : 32;
  for (const auto& slot : slots)
    set.modules_.emplace(slot, TemporalTransformer::load(nn::Binder(map, slot + "."), heads, set.max_len_,
                                                         options.use_file_positional_table));
  // The stored tables are only read when asked for; they are recomputed otherwise.
  for (const auto& name : map.names())
    if (name.size() > 3 && name.compare(name.size() - 3, 3, ".pe") == 0) map.mark_used(name);
  map.check_all_used("motion module");
  return set;
}

const TemporalTransformer& MotionModuleSet::module(const std::string& slot) const {
  auto it = modules_.find(slot);
  AD_CHECK(it != modules_.end(), "no motion module at '{}'", slot);
  return it->second;
}

void MotionModuleSet::check_fits(const UNetConfig& unet) const {
  std::set<std::string> expected;
  const size_t levels = unet.levels();
  auto want = [&](const UNetSlot& slot, int64_t channels) {
    expected.insert(slot.name());
    auto it = modules_.find(slot.name());
    if (it == modules_.end()) return;
    AD_CHECK(it->second.channels() == channels,
             "the motion module at '{}' is {} channels wide but the UNet has {} there: this motion module does not fit "
             "this UNet",
             slot.name(), it->second.channels(), channels);
  };
  for (size_t i = 0; i < levels; ++i)
    for (int j = 0; j < unet.layers_per_block; ++j) want({UNetSlot::Kind::Down, static_cast<int>(i), j}, unet.block_channels[i]);
  for (size_t i = 0; i < levels; ++i)
    for (int j = 0; j <= unet.layers_per_block; ++j)
      want({UNetSlot::Kind::Up, static_cast<int>(i), j}, unet.block_channels[levels - 1 - i]);
  want({UNetSlot::Kind::Mid, 0, 0}, unet.block_channels[levels - 1]);
  for (const auto& [slot, module] : modules_)
    AD_CHECK(expected.count(slot), "the motion module has a module at '{}', which this UNet does not have: this motion "
             "module does not fit this UNet", slot);
  for (const auto& slot : expected)
    AD_CHECK(modules_.count(slot) || slot.rfind("mid_block", 0) == 0,
             "the motion module has no module at '{}': this motion module does not fit this UNet", slot);
}

Tensor MotionModuleSet::apply(const UNetSlot& slot, const Tensor& h, int64_t frames) const {
  auto it = modules_.find(slot.name());
  if (it == modules_.end()) return h;
  return it->second.forward(h, frames, options_.norm, options_.windows);
}

}  // namespace ad::models

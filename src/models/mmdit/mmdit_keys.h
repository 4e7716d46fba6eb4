// Checkpoint key maps of the MMDiT onto its module tree (diffusers SD3Transformer2DModel names),
// one file per format, each with its table at the top:
//   mmdit_keys_original.cpp   Stability's single files (`model.diffusion_model.*`, fused qkv,
//                             final / last-context adaLN halves in (shift, scale) order)
//   mmdit_keys_diffusers.cpp  diffusers `transformer/` folders (the canonical names themselves)
// The format and the prefix are detected from the names (detect_mmdit_layout).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/tensor_file.h"
#include "nn/weights.h"

namespace ad::models {

// One canonical tensor derived from a stored one.
struct MmditKeyTarget {
  std::string canonical;
  nn::WeightTransform transform = nn::WeightTransform::None;
  int part = 0;
  int parts = 1;
};

// The canonical tensors an original name (without its prefix) maps to; empty when the name is not
// part of the model. `last_block` is the index of the last joint block (depth - 1).
std::vector<MmditKeyTarget> mmdit_original_targets(const std::string& name, int last_block);
// A diffusers name when the module tree has such a tensor (the name itself), else nullopt.
std::optional<std::string> mmdit_diffusers_name(const std::string& name);

enum class MmditLayout { Original, Diffusers };
struct MmditFileLayout {
  MmditLayout layout = MmditLayout::Original;
  std::string prefix;  // "model.diffusion_model.", "transformer.", ""
};
// The layout of the MMDiT in `file`, or an error naming the file.
MmditFileLayout detect_mmdit_layout(const io::TensorFile& file);

nn::WeightMap mmdit_original_weights(const std::shared_ptr<io::TensorFile>& file, const std::string& prefix);
nn::WeightMap mmdit_diffusers_weights(const std::shared_ptr<io::TensorFile>& file, const std::string& prefix);
// Either layout, detected.
nn::WeightMap mmdit_weights(const std::shared_ptr<io::TensorFile>& file);

}  // namespace ad::models

// Checkpoint key maps of the CLIP text encoders. Two naming schemes exist, each under a root
// prefix that the map strips:
//
//   HF transformers names (`text_model.*`, `text_projection.weight`), this file:
//   layout                                    root prefix                            encoder
//   HF / diffusers text_encoder(_2), SD3
//     text_encoders/clip_{l,g}.safetensors    ""                                     any
//   SD1.x single file (LDM)                   "cond_stage_model.transformer."        CLIP-L
//   SD3 single file, CLIP-L                   "text_encoders.clip_l.transformer."    CLIP-L
//   SD3 single file, CLIP-G                   "text_encoders.clip_g.transformer."    CLIP-G
//   SDXL single file, CLIP-L                  "conditioner.embedders.0.transformer." CLIP-L
//
//   OpenCLIP names (`transformer.resblocks.*`, `positional_embedding`, fused in_proj), mapped
//   onto the HF names by openclip_keys.h:
//   open_clip model files (CLIP-G / bigG)     ""                                     any
//   SDXL single file, CLIP-G                  "conditioner.embedders.1.model."       CLIP-G
//   SDXL refiner single file, CLIP-G          "conditioner.embedders.0.model."       CLIP-G
//
// The int64 `text_model.embeddings.position_ids` buffer is ignored (merged checkpoints store it
// as float or with corrupted values; positions are always 0..L-1).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "io/tensor_file.h"
#include "nn/weights.h"

namespace ad::models {

enum class ClipKeyLayout : uint8_t { HuggingFace, OpenClip };
// Which encoder a caller wants from a file that may hold several (SD3 and SDXL single files).
enum class ClipSlot : uint8_t { Any, L, G };

struct ClipRoot {
  std::string prefix;
  ClipKeyLayout layout = ClipKeyLayout::HuggingFace;
};

// HF names under `root_prefix`.
nn::WeightMap clip_text_weights(const std::shared_ptr<io::TensorFile>& file, const std::string& root_prefix);
// Either layout.
nn::WeightMap clip_text_weights(const std::shared_ptr<io::TensorFile>& file, const ClipRoot& root);
// The root prefix of the one CLIP text encoder with HF names found in `file` among the layouts
// above ("" when the file holds bare HF names); an error when there is none.
std::string detect_clip_root(const io::TensorFile& file);
// The first layout of the tables above that holds the `slot` encoder (Any: the first CLIP
// text tower); nullopt when there is none.
std::optional<ClipRoot> find_clip_root(const io::TensorFile& file, ClipSlot slot);

}  // namespace ad::models

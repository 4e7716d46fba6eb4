// Checkpoint key maps of the CLIP text encoders. Every layout stores HF transformers names
// (`text_model.*`, `text_projection.weight`) under a root prefix; the map strips the root:
//
//   layout                          root prefix
//   HF / diffusers text_encoder     ""
//   SD1.x single file (LDM)         "cond_stage_model.transformer."
//   SD3 single file, CLIP-L         "text_encoders.clip_l.transformer."
//   SD3 single file, CLIP-G         "text_encoders.clip_g.transformer."
//
// The int64 `text_model.embeddings.position_ids` buffer is ignored (merged checkpoints store it
// as float or with corrupted values; positions are always 0..L-1).
#pragma once

#include <memory>
#include <string>

#include "io/tensor_file.h"
#include "nn/weights.h"

namespace ad::models {

nn::WeightMap clip_text_weights(const std::shared_ptr<io::TensorFile>& file, const std::string& root_prefix);
// The root prefix of the one CLIP text encoder found in `file` among the layouts above
// ("" when the file holds bare HF names); an error when there is none.
std::string detect_clip_root(const io::TensorFile& file);

}  // namespace ad::models

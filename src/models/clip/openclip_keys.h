// Key map of OpenCLIP text towers (open_clip `CLIP` state dicts, e.g. ViT-bigG-14's
// open_clip_pytorch_model.bin, and SDXL's conditioner.embedders.1.model.*) onto the HF
// transformers names the CLIP text model binds (clip_keys.h). Reference: HF transformers'
// conversion script (https://github.com/huggingface/transformers/blob/v4.44.2/src/transformers/models/clip/convert_clip_original_pytorch_to_hf.py)
// and diffusers' single-file conversion of SDXL's OpenCLIP encoder
// (https://github.com/huggingface/diffusers/blob/v0.32.2/src/diffusers/loaders/single_file_utils.py,
// convert_open_clip_checkpoint).
//
//   OpenCLIP (below the root)                HF (canonical)                            rewrite
//   token_embedding.weight                   text_model.embeddings.token_embedding.weight
//   positional_embedding                     text_model.embeddings.position_embedding.weight
//   transformer.resblocks.{i}.ln_1.*         text_model.encoder.layers.{i}.layer_norm1.*
//   transformer.resblocks.{i}.ln_2.*         text_model.encoder.layers.{i}.layer_norm2.*
//   transformer.resblocks.{i}.attn.in_proj_weight
//                                            ...layers.{i}.self_attn.{q,k,v}_proj.weight  thirds of dim 0, q k v
//   transformer.resblocks.{i}.attn.in_proj_bias
//                                            ...layers.{i}.self_attn.{q,k,v}_proj.bias    thirds of dim 0, q k v
//   transformer.resblocks.{i}.attn.out_proj.*  ...layers.{i}.self_attn.out_proj.*
//   transformer.resblocks.{i}.mlp.c_fc.*     ...layers.{i}.mlp.fc1.*
//   transformer.resblocks.{i}.mlp.c_proj.*   ...layers.{i}.mlp.fc2.*
//   ln_final.*                               text_model.final_layer_norm.*
//   text_projection  [width, proj]           text_projection.weight [proj, width]      transposed (x @ P)
//   visual.*, logit_scale, attn_mask         (the image tower, the contrastive scale, the causal
//                                            mask buffer) ignored
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/tensor_file.h"
#include "nn/weights.h"

namespace ad::models {

// The HF name of an OpenCLIP text-tower name that maps one-to-one (not in_proj_*,
// text_projection); nullopt for any other name.
std::optional<std::string> openclip_to_hf(const std::string& name);
nn::WeightMap openclip_text_weights(const std::shared_ptr<io::TensorFile>& file, const std::string& root_prefix);

}  // namespace ad::models

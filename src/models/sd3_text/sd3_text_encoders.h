// The three text encoders of SD3 / SD3.5 (CLIP-L, CLIP-G, T5 v1.1 XXL) and where their weights
// come from. Reference: Stability's sd3_infer.ClipL / ClipG / T5XXL and other_impls
// (https://github.com/Stability-AI/sd3.5/blob/fbf8f483f992d8d6ad4eaaeb23b1dc5f523c3b3a/sd3_infer.py).
//
//   encoder  model              activation   heads (not in the weights)     SD3 takes
//   CLIP-L   ClipTextModel      quick_gelu   hidden / 64 (12)               penultimate, pooled
//   CLIP-G   ClipTextModel      gelu (erf)   hidden / 64 (20)               penultimate, projected pooled
//   T5-XXL   T5Encoder          gelu_tanh    read from the bias table (64)  final output
//
// Weight layouts (key maps: clip_keys.h, openclip_keys.h, t5_keys.h): separate files
// (text_encoders/clip_l.safetensors, clip_g.safetensors, t5xxl_*.safetensors), SD3 single files
// holding `text_encoders.{clip_l,clip_g,t5xxl}.transformer.*`, diffusers folders
// (text_encoder/, text_encoder_2/, text_encoder_3/ with their config.json).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "io/tensor_file.h"
#include "models/clip/clip_keys.h"
#include "models/clip/clip_text.h"
#include "models/t5/t5_encoder.h"

namespace ad::models {

struct Sd3TextEncoderSource {
  std::shared_ptr<io::TensorFile> file;  // null: absent
  int64_t heads = 0;                     // 0: the default (see the table above)
  std::optional<Activation> activation;  // CLIP only; absent: the table's
  std::optional<float> eps;              // norm epsilon; absent: CLIP 1e-5, T5 1e-6
  int64_t max_distance = 0;              // T5 relative_attention_max_distance; 0: 128
};

struct Sd3TextEncoderFiles {
  Sd3TextEncoderSource clip_l, clip_g, t5;

  // All three from one SD3 / SD3.5 single file; t5 stays absent when the file has none. An
  // error when either CLIP encoder is missing.
  static Sd3TextEncoderFiles from_single_file(const std::shared_ptr<io::TensorFile>& file);
  // text_encoder/, text_encoder_2/ and (when present) text_encoder_3/ of a diffusers SD3
  // folder, with heads, activation and epsilon from each config.json.
  static Sd3TextEncoderFiles from_diffusers(const std::string& root);
};

// The `component` folder (text_encoder, text_encoder_2, text_encoder_3) of a diffusers root with
// heads, activation and epsilon from its config.json; file null when the folder has no weights.
Sd3TextEncoderSource diffusers_text_encoder_source(const std::string& root, const char* component, bool t5);

// One CLIP text encoder: the `slot` encoder of source.file in any layout of clip_keys.h, every
// tensor below its root checked as used. Defaults by slot: L quick_gelu, G (and Any) gelu.
ClipTextModel load_sd3_clip(const Sd3TextEncoderSource& source, ClipSlot slot);
// The T5 encoder of source.file (either layout of t5_keys.h), every tensor checked as used.
T5Encoder load_t5(const Sd3TextEncoderSource& source);

struct Sd3TextEncoders {
  ClipTextModel clip_l;
  ClipTextModel clip_g;
  std::optional<T5Encoder> t5;  // absent: conditioning without T5 (Sd3NoT5Context)

  // CLIP-L and CLIP-G are required; T5 is loaded when files.t5.file is set.
  static Sd3TextEncoders load(const Sd3TextEncoderFiles& files);
};

}  // namespace ad::models

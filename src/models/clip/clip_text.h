// CLIP text transformer (OpenAI CLIP ViT-L/14 text tower as SD1.5 uses it; also CLIP-L and
// OpenCLIP bigG as SD3 uses them). Reference: HF transformers CLIPTextModel and Stability's
// sd3.5 other_impls.CLIPTextModel (https://github.com/Stability-AI/sd3.5/blob/fbf8f48/other_impls.py).
//
//   x = token_embedding[ids] + position_embedding[0..L)
//   per layer: x += out_proj(attn(LN1(x)), causal); x += fc2(act(fc1(LN2(x))))
//   last_hidden = final_layer_norm(x)
#pragma once

#include <vector>

#include "nn/attention.h"
#include "nn/layers.h"

namespace ad::models {

struct ClipTextConfig {
  int64_t vocab_size = 49408;
  int64_t hidden = 768;
  int64_t layers = 12;
  int64_t heads = 12;
  int64_t intermediate = 3072;
  int64_t max_positions = 77;
  Activation activation = Activation::QuickGelu;
  float eps = 1e-5f;
  int64_t projection_dim = 0;  // 0: no text_projection

  // Sizes from the weights' shapes. The head count cannot be read from them: it is `heads` when
  // given, else hidden / 64 (every released CLIP text tower has 64-wide heads).
  static ClipTextConfig from_weights(const nn::Binder& b, int64_t heads, Activation activation);
};

struct ClipTextOutput {
  Tensor last_hidden;       // final LayerNorm of the last layer's output  [B, L, D]
  Tensor penultimate;       // output of the second-to-last layer (no final LayerNorm)  [B, L, D]
  Tensor pooled;            // last_hidden at each row's EOS (the position of the largest id)  [B, D]
  Tensor pooled_projected;  // text_projection(pooled), when the model has a projection  [B, P]
};

class ClipTextModel {
 public:
  static ClipTextModel load(const nn::Binder& b, const ClipTextConfig& config);
  const ClipTextConfig& config() const { return config_; }

  // ids: I64 [B, L] with L <= max_positions.
  ClipTextOutput forward(const Tensor& ids) const;
  // The final LayerNorm alone (SD1.5 "clip skip": final_layer_norm(penultimate)).
  Tensor final_norm(const Tensor& x) const { return final_layer_norm_(x); }

 private:
  struct Layer {
    nn::LayerNorm norm1, norm2;
    nn::MultiHeadAttention attention;
    nn::Linear fc1, fc2;
  };

  ClipTextConfig config_;
  Tensor token_embedding_, position_embedding_;
  std::vector<Layer> layers_;
  nn::LayerNorm final_layer_norm_;
  nn::Linear text_projection_;
};

}  // namespace ad::models

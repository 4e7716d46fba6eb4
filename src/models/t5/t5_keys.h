// Checkpoint key maps of the T5 v1.1 encoder. Every layout stores HF T5EncoderModel names under
// a root prefix; the map strips the root:
//
//   layout                                                root prefix
//   HF T5EncoderModel / diffusers text_encoder_3 /
//     SD3 text_encoders/t5xxl_*.safetensors               ""
//   SD3 single file (sd3.5_*.safetensors with encoders)   "text_encoders.t5xxl.transformer."
//
// Names below the root (i = block index; all weights, no biases):
//
//   shared.weight                                          token embedding [vocab, D]
//   encoder.embed_tokens.weight                            the same table under the name
//                                                          other_impls loads; used as shared.weight
//                                                          when that is absent, else ignored
//   encoder.block.{i}.layer.0.layer_norm.weight            [D]
//   encoder.block.{i}.layer.0.SelfAttention.{q,k,v}.weight [inner, D]
//   encoder.block.{i}.layer.0.SelfAttention.o.weight       [D, inner]
//   encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight   [buckets, heads]
//   encoder.block.{i}.layer.1.layer_norm.weight            [D]
//   encoder.block.{i}.layer.1.DenseReluDense.wi_0.weight   [d_ff, D]  (GELU branch)
//   encoder.block.{i}.layer.1.DenseReluDense.wi_1.weight   [d_ff, D]
//   encoder.block.{i}.layer.1.DenseReluDense.wo.weight     [D, d_ff]
//   encoder.final_layer_norm.weight                        [D]
//   decoder.*, lm_head.weight                              (a full T5ForConditionalGeneration
//                                                          file) ignored
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "io/tensor_file.h"
#include "nn/weights.h"

namespace ad::models {

inline constexpr const char* kSd3T5Prefix = "text_encoders.t5xxl.transformer.";

nn::WeightMap t5_encoder_weights(const std::shared_ptr<io::TensorFile>& file, const std::string& root_prefix);
// The root prefix of the T5 encoder in `file` among the layouts above; nullopt when it has none.
std::optional<std::string> find_t5_root(const io::TensorFile& file);

}  // namespace ad::models

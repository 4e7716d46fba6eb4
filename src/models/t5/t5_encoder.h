// T5 v1.1 encoder: the T5-XXL text encoder of SD3 / SD3.5. References: Stability's sd3.5
// other_impls.T5 (https://github.com/Stability-AI/sd3.5/blob/fbf8f483f992d8d6ad4eaaeb23b1dc5f523c3b3a/other_impls.py)
// and HF transformers T5EncoderModel
// (https://github.com/huggingface/transformers/blob/v4.44.2/src/transformers/models/t5/modeling_t5.py).
//
//   x = shared[ids]                                     [B, L, D]  (no embedding scale)
//   bias[0, h, i, j] = relative_attention_bias[bucket(j - i), h]   [1, H, L, L], from block 0's
//                                                       table only, added in EVERY block
//   per block:  x += o(attention(q, k, v of layer.0.layer_norm(x); scale 1, + bias))
//               x += wo(gelu_tanh(wi_0(h)) * wi_1(h)),  h = layer.1.layer_norm(x)
//   out = final_layer_norm(x)
//
// Norms are T5LayerNorm: x * rsqrt(mean(x^2) + eps) * weight (no mean subtraction, no bias),
// computed in F32. No linear layer has a bias. Attention logits are NOT scaled by
// 1/sqrt(head_dim) (Mesh TensorFlow folds it into the initialisation) and there is no padding
// mask: pad tokens attend and are attended to, as in sd3_infer. Weights stay in their stored
// dtype (F32 / F16 / BF16); activations are F32.
#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include "nn/layers.h"

namespace ad::models {

// Receives named intermediates ("position_bias", "block.0", ..., "last_hidden").
using DebugSink = std::function<void(std::string_view name, const Tensor& value)>;

struct T5Config {
  int64_t vocab_size = 32128;
  int64_t d_model = 4096;
  int64_t inner = 4096;  // heads * head_dim (the q/k/v output width; d_kv * num_heads in HF configs)
  int64_t d_ff = 10240;
  int64_t layers = 24;
  int64_t heads = 64;
  int64_t num_buckets = 32;    // relative_attention_num_buckets
  int64_t max_distance = 128;  // relative_attention_max_distance (not in the weights)
  float eps = 1e-6f;

  int64_t head_dim() const { return inner / heads; }

  // T5 v1.1 XXL as SD3 uses it (sd3_infer T5_CONFIG).
  static T5Config xxl();
  // Sizes from the weights' shapes: d_model and vocab from shared.weight, inner from q, d_ff
  // from wi_0, layers from the encoder.block.N count, heads and buckets from block 0's
  // relative_attention_bias [buckets, heads]. `heads` > 0 (from a config) must agree with it.
  static T5Config from_weights(const nn::Binder& b, int64_t heads = 0);
};

// Bucket of the relative position r = key - query for bidirectional attention
// (T5Attention._relative_position_bucket): n = num_buckets / 2 buckets per direction, +n when
// r > 0; with a = |r| and e = n / 2: a < e -> a; else e + int(log(a / e) / log(max_distance / e)
// * (n - e)), capped at n - 1. Where that value is mathematically an integer (a = 16, 32, 64 for
// T5's 32 / 128) it lands on that integer, as in the reference's float32 evaluation.
int64_t t5_relative_position_bucket(int64_t relative, int64_t num_buckets, int64_t max_distance);

struct T5Block {
  nn::RmsNorm attention_norm;  // layer.0.layer_norm
  nn::Linear q, k, v, o;       // layer.0.SelfAttention
  nn::RmsNorm ff_norm;         // layer.1.layer_norm
  nn::Linear wi_0, wi_1, wo;   // layer.1.DenseReluDense (wi_0 is the GELU branch)

  // b is positioned at encoder.block.{i}.
  static T5Block load(const nn::Binder& b, const T5Config& config);
  // x [B, L, D], position_bias [1, H, L, L] -> [B, L, D].
  Tensor forward(const Tensor& x, const Tensor& position_bias, int64_t heads) const;
};

class T5Encoder {
 public:
  // b is positioned at the root of the HF T5EncoderModel names (see t5_keys.h).
  static T5Encoder load(const nn::Binder& b, const T5Config& config);
  const T5Config& config() const { return config_; }

  // ids: I64 [B, L] (any L >= 1) -> the final output [B, L, D] after final_layer_norm.
  Tensor forward(const Tensor& ids, const DebugSink& debug = {}) const;
  // The additive attention bias [1, H, Lq, Lk] shared by every block.
  Tensor position_bias(int64_t query_length, int64_t key_length) const;

 private:
  T5Config config_;
  Tensor shared_;                   // [vocab, D]
  Tensor relative_attention_bias_;  // [buckets, H], block 0's
  std::vector<T5Block> blocks_;
  nn::RmsNorm final_layer_norm_;
};

}  // namespace ad::models

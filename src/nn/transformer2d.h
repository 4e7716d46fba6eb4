// The spatial transformer of SD1.x UNets (diffusers Transformer2DModel with BasicTransformerBlock;
// LDM SpatialTransformer): GroupNorm -> proj_in -> [LN -> self-attn -> LN -> cross-attn ->
// LN -> GEGLU FF] x depth -> proj_out -> + input. Tokens are the H*W positions of each image.
#pragma once

#include <vector>

#include "nn/attention.h"

namespace ad::nn {

struct BasicTransformerBlock {
  LayerNorm norm1, norm2, norm3;
  MultiHeadAttention attn1, attn2;
  GegluFeedForward ff;

  static BasicTransformerBlock load(const Binder& b, int64_t dim, int64_t context_dim, int64_t heads);
  // x [B, L, C], context [B, S, Cc]
  Tensor operator()(const Tensor& x, const Tensor& context) const;
};

struct SpatialTransformer {
  GroupNorm norm;
  Linear proj_in, proj_out;  // 1x1 convolutions (SD1.x) or linears (use_linear_projection): same map on tokens
  std::vector<BasicTransformerBlock> blocks;

  static SpatialTransformer load(const Binder& b, int64_t channels, int64_t context_dim, int64_t heads, int groups);
  // x [N, C, H, W], context [N, S, Cc]
  Tensor operator()(const Tensor& x, const Tensor& context) const;
};

}  // namespace ad::nn

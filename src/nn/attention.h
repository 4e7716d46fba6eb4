// Multi-head attention with separate q/k/v/out projections (diffusers `Attention`, CLIP's
// `CLIPAttention`, the AnimateDiff temporal attention): x [B, L, C] -> [B, L, C].
#pragma once

#include "nn/layers.h"

namespace ad::nn {

struct MultiHeadAttention {
  Linear q, k, v, out;
  int64_t heads = 1;

  // Names as diffusers writes them: to_q, to_k, to_v (no bias unless stored), to_out.0.
  static MultiHeadAttention load_diffusers(const Binder& b, int64_t query_dim, int64_t context_dim, int64_t heads);
  // Names as CLIP writes them: q_proj, k_proj, v_proj, out_proj (all with bias).
  static MultiHeadAttention load_clip(const Binder& b, int64_t dim, int64_t heads);

  // context undefined = self-attention. The residual (if given) is added by the output projection.
  Tensor operator()(const Tensor& x, const Tensor& context = {}, const AttentionOptions& options = {},
                    const Tensor& residual = {}) const;
};

// Feed-forward with a GEGLU input projection (diffusers FeedForward, activation "geglu"):
// net.0.proj [2*inner, dim] -> a * gelu(gate) -> net.2 [dim, inner].
struct GegluFeedForward {
  Linear proj_in, proj_out;

  static GegluFeedForward load(const Binder& b, int64_t dim);
  Tensor operator()(const Tensor& x, const Tensor& residual = {}) const;
};

}  // namespace ad::nn

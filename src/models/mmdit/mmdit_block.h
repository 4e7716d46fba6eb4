// The joint blocks of the SD3 / SD3.5 MMDiT. Reference: Stability AI's mmditx.py
// (https://github.com/Stability-AI/sd3.5/blob/fbf8f483f992d8d6ad4eaaeb23b1dc5f523c3b3a/mmditx.py:
// SelfAttention, DismantledBlock, block_mixing, JointBlock) and diffusers 0.32.2
// JointTransformerBlock (attention_processor.JointAttnProcessor2_0), whose names we bind
// (see mmdit_keys.h).
//
// One block updates both token streams, context [B, Lc, C] and image [B, Lx, C]:
//   per stream: (shift, scale, gate)_msa, (shift, scale, gate)_mlp = adaLN(SiLU(c)).chunk(6)
//               q, k, v = qkv(LN(v) * (1 + scale_msa) + shift_msa), split into heads of head_dim,
//               q, k RMS-normalised per head (SD3.5)
//   a = attention over the concatenation [context tokens, image tokens] (one joint softmax)
//   per stream: v += gate_msa * proj(a[stream]); v += gate_mlp * mlp(LN(v) * (1 + scale_mlp) + shift_mlp)
//               mlp = fc2(gelu_tanh(fc1(.)))
// Dual attention (MMDiT-X, SD3.5 Medium): the image stream has 9 modulation chunks and a second,
// image-only self-attention `attn2` fed by the same LN(x) modulated with (shift, scale)_msa2,
// added (gated by gate_msa2) after the joint attention's update.
// Pre-only context stream (the last block): modulation (scale, shift) (diffusers order), it only
// supplies q, k, v; no output projection, no MLP; its updated context is not computed.
#pragma once

#include <optional>
#include <vector>

#include "nn/layers.h"

namespace ad::models {

// Canonical (diffusers) names of one attention's tensors below the block's prefix.
struct MmditAttentionNames {
  const char* q;
  const char* k;
  const char* v;
  const char* out;
  const char* norm_q;
  const char* norm_k;
};

// q, k, v of one stream, each [B, L, H, D] (unit stride along D; may be views).
struct MmditQkv {
  Tensor q, k, v;
};

// The projections of one attention (mmditx SelfAttention): qkv, the optional RMS norms of q and
// k over head_dim, and the output projection (absent in a pre-only stream).
struct MmditAttention {
  nn::Linear qkv;      // [3C, C]: one GEMM, when the file stores q, k, v back to back (a view)
  nn::Linear q, k, v;  // separate projections otherwise (diffusers files)
  std::optional<nn::RmsNorm> norm_q, norm_k;
  std::optional<nn::Linear> out;
  int64_t heads = 1;

  static MmditAttention load(const nn::Binder& b, const MmditAttentionNames& names, int64_t hidden, int64_t heads,
                             bool qk_norm, bool has_out);
  // x [B, L, C] -> q, k, v [B, L, H, D].
  MmditQkv project(const Tensor& x) const;
};

// One stream of a joint block (mmditx DismantledBlock).
struct MmditStream {
  nn::Linear modulation;                // adaLN: [k*C, C], k = 6, 9 (dual attention) or 2 (pre-only)
  MmditAttention attn;
  std::optional<MmditAttention> attn2;  // image stream of a dual-attention block
  nn::Linear ff_in, ff_out;             // absent when pre-only
  bool pre_only = false;
  int64_t hidden = 0;
  float eps = 1e-6f;
};

// Per-stream state between the projections and the update.
struct MmditStreamState {
  MmditQkv qkv;
  std::optional<MmditQkv> qkv2;  // dual attention
  std::vector<Tensor> mods;      // modulation chunks, each [B, 1, C]
};

// normed * (1 + scale) + shift (mmditx.modulate), normed [B, L, C], shift and scale [B, 1, C].
Tensor mmdit_modulate(const Tensor& normed, const Tensor& shift, const Tensor& scale);

class MmditBlock {
 public:
  static MmditBlock load(const nn::Binder& b, int64_t hidden, int64_t heads, bool qk_norm, bool dual_attention,
                         bool context_pre_only, float eps);
  bool context_pre_only() const { return context_.pre_only; }
  bool dual_attention() const { return image_.attn2.has_value(); }
  // context [B, Lc, C], x [B, Lx, C], c_silu = SiLU(c) [B, C]. context becomes undefined after a
  // pre-only block.
  void forward(Tensor& context, Tensor& x, const Tensor& c_silu) const;

 private:
  MmditStream context_, image_;
};

}  // namespace ad::models

// The SD3 / SD3.5 diffusion transformer (MMDiT, and MMDiT-X with dual attention). References:
// Stability AI's mmditx.py and sd3_impls.py
// (https://github.com/Stability-AI/sd3.5/blob/fbf8f483f992d8d6ad4eaaeb23b1dc5f523c3b3a/mmditx.py, MMDiTX;
// .../sd3_impls.py, BaseModel: the configuration from key shapes) and diffusers 0.32.2
// SD3Transformer2DModel (https://github.com/huggingface/diffusers/blob/v0.32.2/src/diffusers/models/transformers/transformer_sd3.py),
// whose module names we bind; the original single-file layout is mapped onto them (mmdit_keys.h).
//
//   x [B, 16, H, W] (model-space latent), t [B] = sigma * 1000, y [B, pooled], context [B, L, ctx]
//   h = conv_p(x) as tokens [B, (H/p)(W/p), C] (row-major patches) + pos_embed cropped to the centre
//   c = MLP(sinusoid_256(t), cos first) + MLP(y)                       -> every adaLN reads SiLU(c)
//   ctx = Linear(context)
//   for each joint block not in skip_layers: (ctx, h) = block(ctx, h, c)   (mmdit_block.h)
//   h = Linear(LN(h) * (1 + scale) + shift), (shift, scale) = adaLN(c)  -> [B, T, p*p*16]
//   out = unpatchify(h): token features ordered (p, q, channel)         -> [B, 16, H, W] (velocity)
#pragma once

#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "models/mmdit/mmdit_block.h"

namespace ad::models {

// Receives named intermediates: "patch_embed", "c_vec", "context_embedded", "block<i>_context",
// "block<i>_x", "final_layer" (the same type as the UNet's DebugSink).
using DebugSink = std::function<void(std::string_view name, const Tensor& value)>;

struct MmditConfig {
  int64_t hidden = 1536;
  int64_t heads = 24;  // head_dim = hidden / heads (64 in every released model)
  int64_t depth = 24;
  int64_t patch = 2;
  int64_t in_channels = 16;
  int64_t out_channels = 16;
  int64_t pos_embed_max_size = 192;
  int64_t pooled_dim = 2048;   // CLIP-L 768 + CLIP-G 1280
  int64_t context_dim = 4096;  // T5-XXL
  int64_t mlp_hidden = 6144;
  int64_t frequency_dim = 256;
  bool qk_norm = false;                  // RMS norm of q and k per head (SD3.5)
  std::vector<int> dual_attention_blocks;  // MMDiT-X blocks with attn2 (SD3.5 Medium: 0-12)
  float eps = 1e-6f;

  int64_t head_dim() const { return hidden / heads; }
  bool dual_attention(int block) const;

  static MmditConfig sd3_medium();
  static MmditConfig sd35_medium();
  static MmditConfig sd35_large();  // and Large Turbo
  // From the shapes of the bound (canonical) weights as sd3_impls.BaseModel reads them; `heads`
  // 0 = hidden / 64 (every released model; the head count is not in the keys).
  static MmditConfig from_weights(const nn::Binder& b, int64_t heads = 0);
  std::string to_string() const;
};

class MmditModel {
 public:
  static MmditModel load(const nn::Binder& b, const MmditConfig& config);
  const MmditConfig& config() const { return config_; }

  // Velocity prediction [B, 16, H, W]. skip_layers: joint blocks left out entirely (skip-layer
  // guidance); H and W are multiples of the patch size, at most pos_embed_max_size patches.
  Tensor forward(const Tensor& x, const Tensor& timesteps, const Tensor& pooled, const Tensor& context,
                 std::span<const int> skip_layers = {}, const DebugSink& debug = {}) const;

  // x [B, C, H, W] -> tokens [B, (H/p)(W/p), hidden] including the cropped position embedding.
  Tensor patch_embed(const Tensor& x) const;
  // The stored position table's centred window of h x w patches: [1, h*w, hidden].
  Tensor cropped_pos_embed(int64_t h, int64_t w) const;
  // c = t_embedder(t) + y_embedder(y): [B, hidden].
  Tensor conditioning(const Tensor& timesteps, const Tensor& pooled) const;

 private:
  MmditConfig config_;
  nn::Conv2d patch_proj_;
  Tensor pos_embed_;  // [1, P*P, hidden] as stored
  nn::Linear time_linear_1_, time_linear_2_, pooled_linear_1_, pooled_linear_2_;
  nn::Linear context_embedder_;
  std::vector<MmditBlock> blocks_;
  nn::Linear norm_out_;  // adaLN of the final layer: [2C, C] giving (scale, shift) (diffusers order)
  nn::Linear proj_out_;
};

// [B, h*w, p*p*C] with token features ordered (p, q, channel) -> [B, C, h*p, w*p].
Tensor mmdit_unpatchify(const Tensor& tokens, int64_t h, int64_t w, int64_t patch, int64_t channels);

}  // namespace ad::models

// SD3 / SD3.5 conditioning: the MMDiT's (context, pooled) from the three text encoders, as
// sd3_infer.SD3Inferencer.get_cond builds it
// (https://github.com/Stability-AI/sd3.5/blob/fbf8f483f992d8d6ad4eaaeb23b1dc5f523c3b3a/sd3_infer.py):
//
//   l  = CLIP-L penultimate layer, no final LayerNorm        [B, 77, 768]
//   g  = CLIP-G penultimate layer, no final LayerNorm        [B, 77, 1280]
//   lg = [l | g | zeros]  (columns, zero-padded to the T5 width 4096)       [B, 77, 4096]
//   context = [lg ; T5 final output]  (rows: 77 CLIP rows, then the T5 rows)  [B, 77 + L_t5, 4096]
//   pooled  = [CLIP-L pooled | CLIP-G projected pooled]      [B, 768 + 1280]
//
// pooled of CLIP-L is the final-LayerNorm state at the EOS (the first position of the row's
// largest id), NOT projected (sd3_infer, ComfyUI); diffusers projects it (option below). CLIP-G's
// is text_projection of its EOS state (the state itself when the file has no projection:
// other_impls initialises the projection to the identity).
//
// Without T5 (sd3_infer has no such path) two conventions exist, both offered: ComfyUI uses the 77
// CLIP rows alone; diffusers appends 77 all-zero rows. They give different MMDiT results.
//
// Token ids are the caller's (the tokenizers live in src/text): CLIP ids [B, 77] as SD3Tokenizer
// pads them (CLIP-L pads with EOS, CLIP-G with 0; only the first 77-token chunk is encoded; prompt
// weights are not applied by the encoders), T5 ids [B, L] (EOS = 1 then PAD = 0 up to at least 77,
// never truncated by sd3_infer; diffusers pads/truncates to 256). The negative prompt goes through
// the same path (sd3_infer's default negative prompt is "").
#pragma once

#include "models/sd3_text/sd3_text_encoders.h"

namespace ad::models {

enum class Sd3NoT5Context : uint8_t {
  ClipOnly,  // ComfyUI: context = the 77 padded CLIP rows
  ZeroRows,  // diffusers: the CLIP rows followed by `no_t5_rows` rows of zeros
};

struct Sd3ConditioningOptions {
  // Width of the context (the MMDiT's context_embedder input: 4096). 0: the T5 width, or 4096
  // without T5. With T5 it must equal the T5 width.
  int64_t context_dim = 0;
  Sd3NoT5Context no_t5 = Sd3NoT5Context::ClipOnly;
  int64_t no_t5_rows = 77;                // ZeroRows: diffusers' tokenizer_max_length
  bool clip_l_pooled_projected = false;   // true: diffusers' projected CLIP-L pooled vector
};

struct Sd3TokenIds {
  Tensor clip_l;  // I64 [B, 77]
  Tensor clip_g;  // I64 [B, 77]
  Tensor t5;      // I64 [B, L]; undefined: no T5 rows (also when the encoders have no T5)
};

struct Sd3Conditioning {
  Tensor context;  // [B, 77 + L_t5, context_dim] (no T5: [B, 77 or 77 + no_t5_rows, context_dim])
  Tensor pooled;   // [B, clip_l width + clip_g projection width]
};

// The conditioning of one batch of prompts (cond and uncond are two calls, or two rows).
Sd3Conditioning sd3_conditioning(const Sd3TextEncoders& encoders, const Sd3TokenIds& ids,
                                 const Sd3ConditioningOptions& options = {});

// The assembly alone, from the encoders' outputs: clip_*_hidden [B, 77, W*], clip_*_pooled
// [B, P*], t5_hidden [B, L, D] or undefined.
Sd3Conditioning assemble_sd3_conditioning(const Tensor& clip_l_hidden, const Tensor& clip_l_pooled,
                                          const Tensor& clip_g_hidden, const Tensor& clip_g_pooled,
                                          const Tensor& t5_hidden, const Sd3ConditioningOptions& options = {});

}  // namespace ad::models

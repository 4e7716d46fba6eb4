#include "models/sd3_text/sd3_conditioning.h"

namespace ad::models {

namespace {
constexpr int64_t kSd3ContextDim = 4096;  // T5-XXL width: the MMDiT's context_embedder input
}

Sd3Conditioning assemble_sd3_conditioning(const Tensor& clip_l_hidden, const Tensor& clip_l_pooled,
                                          const Tensor& clip_g_hidden, const Tensor& clip_g_pooled,
                                          const Tensor& t5_hidden, const Sd3ConditioningOptions& options) {
  AD_CHECK(clip_l_hidden.ndim() == 3 && clip_g_hidden.ndim() == 3 && clip_l_hidden.dim(0) == clip_g_hidden.dim(0) &&
               clip_l_hidden.dim(1) == clip_g_hidden.dim(1),
           "SD3 conditioning: CLIP-L {} and CLIP-G {} features must be [B, L, W] with the same B and L",
           clip_l_hidden.describe(), clip_g_hidden.describe());
  const int64_t B = clip_l_hidden.dim(0), clip_rows = clip_l_hidden.dim(1);
  const int64_t wl = clip_l_hidden.dim(2), wg = clip_g_hidden.dim(2);
  int64_t width = options.context_dim;
  if (t5_hidden.defined()) {
    AD_CHECK(t5_hidden.ndim() == 3 && t5_hidden.dim(0) == B, "SD3 conditioning: T5 features {} do not match CLIP's {}",
             t5_hidden.describe(), clip_l_hidden.describe());
    AD_CHECK(width == 0 || width == t5_hidden.dim(2), "SD3 conditioning: context width {} but the T5 features are {} wide",
             width, t5_hidden.dim(2));
    width = t5_hidden.dim(2);
  }
  if (width == 0) width = kSd3ContextDim;
  AD_CHECK(wl + wg <= width, "SD3 conditioning: CLIP-L ({}) and CLIP-G ({}) features are wider than the context ({})", wl,
           wg, width);

  int64_t rows = clip_rows;  // [B, rows, width]
  if (t5_hidden.defined()) rows += t5_hidden.dim(1);
  else if (options.no_t5 == Sd3NoT5Context::ZeroRows) rows += options.no_t5_rows;
  Sd3Conditioning out;
  out.context = Tensor::zeros(Shape{B, rows, width});
  out.context.slice(1, 0, clip_rows).slice(2, 0, wl).copy_from(clip_l_hidden);
  out.context.slice(1, 0, clip_rows).slice(2, wl, wl + wg).copy_from(clip_g_hidden);
  if (t5_hidden.defined()) out.context.slice(1, clip_rows, rows).copy_from(t5_hidden);

  AD_CHECK(clip_l_pooled.ndim() == 2 && clip_g_pooled.ndim() == 2 && clip_l_pooled.dim(0) == B &&
               clip_g_pooled.dim(0) == B,
           "SD3 conditioning: pooled vectors {} and {} must be [B, P]", clip_l_pooled.describe(),
           clip_g_pooled.describe());
  out.pooled = ops::concat({clip_l_pooled.to(DType::F32), clip_g_pooled.to(DType::F32)}, 1);  // [B, Pl + Pg]
  return out;
}

Sd3Conditioning sd3_conditioning(const Sd3TextEncoders& encoders, const Sd3TokenIds& ids,
                                 const Sd3ConditioningOptions& options) {
  const ClipTextOutput l = encoders.clip_l.forward(ids.clip_l);
  const ClipTextOutput g = encoders.clip_g.forward(ids.clip_g);
  Tensor l_pooled = l.pooled;
  if (options.clip_l_pooled_projected && l.pooled_projected.defined()) l_pooled = l.pooled_projected;
  const Tensor g_pooled = g.pooled_projected.defined() ? g.pooled_projected : g.pooled;  // identity when absent
  Tensor t5_hidden;
  if (ids.t5.defined() && encoders.t5) t5_hidden = encoders.t5->forward(ids.t5);
  return assemble_sd3_conditioning(l.penultimate, l_pooled, g.penultimate, g_pooled, t5_hidden, options);
}

}  // namespace ad::models

#include "nn/transformer2d.h"

namespace ad::nn {

BasicTransformerBlock BasicTransformerBlock::load(const Binder& b, int64_t dim, int64_t context_dim, int64_t heads) {
  BasicTransformerBlock t;
  t.norm1 = LayerNorm::load(b.sub("norm1"), dim, 1e-5f);
  t.norm2 = LayerNorm::load(b.sub("norm2"), dim, 1e-5f);
  t.norm3 = LayerNorm::load(b.sub("norm3"), dim, 1e-5f);
  t.attn1 = MultiHeadAttention::load_diffusers(b.sub("attn1"), dim, dim, heads);
  t.attn2 = MultiHeadAttention::load_diffusers(b.sub("attn2"), dim, context_dim, heads);
  t.ff = GegluFeedForward::load(b.sub("ff"), dim);
  return t;
}

Tensor BasicTransformerBlock::operator()(const Tensor& x, const Tensor& context) const {
  Tensor h = attn1(norm1(x), {}, {}, x);
  h = attn2(norm2(h), context, {}, h);
  return ff(norm3(h), h);
}

SpatialTransformer SpatialTransformer::load(const Binder& b, int64_t channels, int64_t context_dim, int64_t heads,
                                            int groups) {
  SpatialTransformer s;
  s.norm = GroupNorm::load(b.sub("norm"), channels, groups, 1e-6f);
  s.proj_in = Linear::load(b.sub("proj_in"), channels, -1);
  const int64_t inner = s.proj_in.out_features;
  for (int i = 0; b.has_prefix("transformer_blocks." + std::to_string(i) + "."); ++i)
    s.blocks.push_back(BasicTransformerBlock::load(b.sub("transformer_blocks", i), inner, context_dim, heads));
  AD_CHECK(!s.blocks.empty(), "{}: missing tensors '{}transformer_blocks.0.*'", b.map().files(), b.prefix());
  s.proj_out = Linear::load(b.sub("proj_out"), inner, channels);
  return s;
}

Tensor SpatialTransformer::operator()(const Tensor& x, const Tensor& context) const {
  const int64_t H = x.dim(2), W = x.dim(3);
  Tensor tokens = proj_in(image_to_tokens(norm(x)));  // [N, H*W, inner]
  for (const auto& block : blocks) tokens = block(tokens, context);
  Epilogue e;
  e.residual = image_to_tokens(x);
  return tokens_to_image(proj_out(tokens, e), H, W);  // [N, C, H, W], channels-last
}

}  // namespace ad::nn

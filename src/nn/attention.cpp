#include "nn/attention.h"

namespace ad::nn {

MultiHeadAttention MultiHeadAttention::load_diffusers(const Binder& b, int64_t query_dim, int64_t context_dim,
                                                      int64_t heads) {
  MultiHeadAttention a;
  a.q = Linear::load(b.sub("to_q"), query_dim, -1, b.has("to_q.bias"));
  const int64_t inner = a.q.out_features;
  a.k = Linear::load(b.sub("to_k"), context_dim, inner, b.has("to_k.bias"));
  a.v = Linear::load(b.sub("to_v"), context_dim, inner, b.has("to_v.bias"));
  a.out = Linear::load(b.sub("to_out.0"), inner, query_dim, b.has("to_out.0.bias"));
  a.heads = heads;
  AD_CHECK(heads > 0 && inner % heads == 0, "{}: width {} does not split into {} heads", b.map().where(b.full("to_q.weight")),
           inner, heads);
  return a;
}

MultiHeadAttention MultiHeadAttention::load_clip(const Binder& b, int64_t dim, int64_t heads) {
  MultiHeadAttention a;
  a.q = Linear::load(b.sub("q_proj"), dim, dim);
  a.k = Linear::load(b.sub("k_proj"), dim, dim);
  a.v = Linear::load(b.sub("v_proj"), dim, dim);
  a.out = Linear::load(b.sub("out_proj"), dim, dim);
  a.heads = heads;
  AD_CHECK(heads > 0 && dim % heads == 0, "{}: width {} does not split into {} heads", b.map().where(b.full("q_proj.weight")),
           dim, heads);
  return a;
}

Tensor MultiHeadAttention::operator()(const Tensor& x, const Tensor& context, const AttentionOptions& options,
                                      const Tensor& residual) const {
  const Tensor& kv_input = context.defined() ? context : x;
  const Tensor query = split_heads(q(x), heads);          // [B, H, L, D]
  const Tensor key = split_heads(k(kv_input), heads);     // [B, H, S, D]
  const Tensor value = split_heads(v(kv_input), heads);   // [B, H, S, D]
  const Tensor attended = merge_heads(ops::attention(query, key, value, options));  // [B, L, H*D]
  Epilogue e;
  e.residual = residual;
  return out(attended, e);
}

GegluFeedForward GegluFeedForward::load(const Binder& b, int64_t dim) {
  GegluFeedForward f;
  f.proj_in = Linear::load(b.sub("net.0.proj"), dim, -1);
  AD_CHECK(f.proj_in.out_features % 2 == 0, "{}: GEGLU projection width {} is odd",
           b.map().where(b.full("net.0.proj.weight")), f.proj_in.out_features);
  f.proj_out = Linear::load(b.sub("net.2"), f.proj_in.out_features / 2, dim);
  return f;
}

Tensor GegluFeedForward::operator()(const Tensor& x, const Tensor& residual) const {
  Epilogue e;
  e.residual = residual;
  return proj_out(ops::geglu(proj_in(x)), e);
}

}  // namespace ad::nn

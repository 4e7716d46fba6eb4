#include "nn/attention.h"

#include <algorithm>
#include <vector>

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
  // The hidden activations are 8x (projection) + 4x (GEGLU) the width of x: over many rows
  // (16 frames x 2 guidance rows x 1024 tokens) they dominate peak memory, so long inputs
  // run in row blocks; each block is still a large GEMM.
  constexpr int64_t kRowBlock = 4096;
  const int64_t width = x.dim(x.ndim() - 1), rows = x.numel() / std::max<int64_t>(width, 1);
  Epilogue e;
  if (rows <= 2 * kRowBlock) {
    e.residual = residual;
    return proj_out(ops::geglu(proj_in(x)), e);
  }
  const Tensor x2 = x.reshape({rows, width});
  const Tensor r2 = residual.defined() ? residual.reshape({rows, proj_out.out_features}) : Tensor();
  std::vector<Tensor> blocks;
  for (int64_t r = 0; r < rows; r += kRowBlock) {
    const int64_t end = std::min(rows, r + kRowBlock);
    e.residual = r2.defined() ? r2.slice(0, r, end) : Tensor();
    blocks.push_back(proj_out(ops::geglu(proj_in(x2.slice(0, r, end))), e));
  }
  Shape shape = x.shape();
  shape[shape.size() - 1] = proj_out.out_features;
  return ops::concat(blocks, 0).view(shape);
}

}  // namespace ad::nn

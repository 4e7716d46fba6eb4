// Joint blocks of the MMDiT; see mmdit_block.h for the computation and the references.
#include "models/mmdit/mmdit_block.h"

#include "backend/ops.h"

namespace ad::models {

namespace {

constexpr MmditAttentionNames kImageNames{"to_q", "to_k", "to_v", "to_out.0", "norm_q", "norm_k"};
constexpr MmditAttentionNames kContextNames{"add_q_proj", "add_k_proj", "add_v_proj",
                                            "to_add_out", "norm_added_q", "norm_added_k"};

// The modulation chunks of a stream, in the order the linear layer produces them.
enum Mod : size_t { ShiftMsa, ScaleMsa, GateMsa, ShiftMlp, ScaleMlp, GateMlp, ShiftMsa2, ScaleMsa2, GateMsa2 };
// Pre-only context stream (diffusers AdaLayerNormContinuous order).
enum PreOnlyMod : size_t { PreOnlyScale, PreOnlyShift };

// The tensors `parts` (each [rows_i, ...], contiguous) as one [sum rows_i, ...] view when they lie
// back to back in one storage, as the thirds of a stored fused qkv do; else undefined.
Tensor adjacent_rows(std::initializer_list<Tensor> parts) {
  const Tensor& first = *parts.begin();
  int64_t rows = 0;
  int64_t next = first.offset();
  for (const Tensor& t : parts) {
    if (!t.defined() || !t.is_contiguous() || t.dtype() != first.dtype() || t.ndim() != first.ndim() ||
        t.storage()->data != first.storage()->data || t.offset() != next)
      return {};
    for (int d = 1; d < t.ndim(); ++d)
      if (t.dim(d) != first.dim(d)) return {};
    rows += t.dim(0);
    next += t.numel();
  }
  if (static_cast<size_t>(next) * dtype_size(first.dtype()) > first.storage()->bytes) return {};
  Shape shape = first.shape();
  shape[0] = rows;
  return Tensor(first.storage(), first.offset(), shape, contiguous_strides(shape), first.dtype());
}

// [B, L, H*D] with unit stride along the last dimension -> [B, L, H, D] view.
Tensor heads_view(const Tensor& x, int64_t heads) {
  const Tensor t = x.stride(2) == 1 ? x : x.contiguous();
  const int64_t head_dim = t.dim(2) / heads;
  return Tensor(t.storage(), t.offset(), Shape{t.dim(0), t.dim(1), heads, head_dim},
                Strides{t.stride(0), t.stride(1), head_dim, 1}, t.dtype());
}

// base + gate * y, gate [B, 1, C].
Tensor gated_add(const Tensor& base, const Tensor& gate, const Tensor& y) {
  Tensor out = ops::mul(y, gate);
  ops::add_(out, base);
  return out;
}

// Attention of q, k, v [B, L, H, D] -> [B, L, H*D].
Tensor attend(const Tensor& q, const Tensor& k, const Tensor& v) {
  return nn::merge_heads(ops::attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)));
}

MmditStreamState pre_attention(const MmditStream& s, const Tensor& v, const Tensor& c_silu) {
  MmditStreamState st;
  const Tensor mods = s.modulation(c_silu);  // [B, k*C]
  const int64_t count = mods.dim(1) / s.hidden;
  for (int64_t i = 0; i < count; ++i) st.mods.push_back(mods.slice(1, i * s.hidden, (i + 1) * s.hidden).unsqueeze(1));
  const Tensor normed = ops::layer_norm(v, {}, {}, s.eps);
  if (s.pre_only) {
    st.qkv = s.attn.project(mmdit_modulate(normed, st.mods[PreOnlyShift], st.mods[PreOnlyScale]));
    return st;
  }
  st.qkv = s.attn.project(mmdit_modulate(normed, st.mods[ShiftMsa], st.mods[ScaleMsa]));
  if (s.attn2) st.qkv2 = s.attn2->project(mmdit_modulate(normed, st.mods[ShiftMsa2], st.mods[ScaleMsa2]));
  return st;
}

Tensor post_attention(const MmditStream& s, const Tensor& v, const MmditStreamState& st, const Tensor& attended,
                      const Tensor& attended2) {
  Tensor h = gated_add(v, st.mods[GateMsa], (*s.attn.out)(attended));
  if (attended2.defined()) h = gated_add(h, st.mods[GateMsa2], (*s.attn2->out)(attended2));
  const Tensor m = mmdit_modulate(ops::layer_norm(h, {}, {}, s.eps), st.mods[ShiftMlp], st.mods[ScaleMlp]);
  Epilogue gelu;
  gelu.activation = Activation::GeluTanh;
  return gated_add(h, st.mods[GateMlp], s.ff_out(s.ff_in(m, gelu)));
}

MmditStream load_stream(const nn::Binder& b, bool image, int64_t hidden, int64_t heads, bool qk_norm, bool dual,
                        bool pre_only, float eps) {
  MmditStream s;
  s.hidden = hidden;
  s.eps = eps;
  s.pre_only = pre_only;
  const int64_t chunks = pre_only ? 2 : (dual ? 9 : 6);
  s.modulation = nn::Linear::load(b.sub(image ? "norm1.linear" : "norm1_context.linear"), hidden, chunks * hidden);
  s.attn = MmditAttention::load(b.sub("attn"), image ? kImageNames : kContextNames, hidden, heads, qk_norm, !pre_only);
  if (dual) s.attn2 = MmditAttention::load(b.sub("attn2"), kImageNames, hidden, heads, qk_norm, true);
  if (!pre_only) {
    const nn::Binder ff = b.sub(image ? "ff" : "ff_context");
    s.ff_in = nn::Linear::load(ff.sub("net.0.proj"), hidden, -1);
    s.ff_out = nn::Linear::load(ff.sub("net.2"), s.ff_in.out_features, hidden);
  }
  return s;
}

}  // namespace

Tensor mmdit_modulate(const Tensor& normed, const Tensor& shift, const Tensor& scale) {
  Tensor out = ops::mul(normed, ops::affine(scale, 1.0f, 1.0f));
  ops::add_(out, shift);
  return out;
}

MmditAttention MmditAttention::load(const nn::Binder& b, const MmditAttentionNames& names, int64_t hidden,
                                    int64_t heads, bool qk_norm, bool has_out) {
  AD_CHECK(heads > 0 && hidden % heads == 0, "{}: width {} does not split into {} heads", b.map().files(), hidden, heads);
  MmditAttention a;
  a.heads = heads;
  const auto projection = [&](const char* name) {
    return nn::Linear::load(b.sub(name), hidden, hidden, b.has(std::string(name) + ".bias"));
  };
  a.q = projection(names.q);
  a.k = projection(names.k);
  a.v = projection(names.v);
  // An original checkpoint's fused qkv is mapped as three consecutive slices: use it as one GEMM.
  const Tensor weight = adjacent_rows({a.q.weight, a.k.weight, a.v.weight});
  const bool biased = a.q.bias.defined() && a.k.bias.defined() && a.v.bias.defined();
  const bool unbiased = !a.q.bias.defined() && !a.k.bias.defined() && !a.v.bias.defined();
  const Tensor bias = biased ? adjacent_rows({a.q.bias, a.k.bias, a.v.bias}) : Tensor();
  if (weight.defined() && (unbiased || bias.defined())) {
    a.qkv.weight = weight;
    a.qkv.bias = bias;
    a.qkv.in_features = hidden;
    a.qkv.out_features = 3 * hidden;
    a.q = a.k = a.v = nn::Linear();
  }
  if (qk_norm) {
    a.norm_q = nn::RmsNorm::load(b.sub(names.norm_q), hidden / heads, 1e-6f);
    a.norm_k = nn::RmsNorm::load(b.sub(names.norm_k), hidden / heads, 1e-6f);
  }
  if (has_out) a.out = nn::Linear::load(b.sub(names.out), hidden, hidden, b.has(std::string(names.out) + ".bias"));
  return a;
}

MmditQkv MmditAttention::project(const Tensor& x) const {
  MmditQkv r;
  if (qkv.weight.defined()) {
    const Tensor fused = qkv(x);  // [B, L, 3C]: q | k | v
    const int64_t width = qkv.out_features / 3;
    r.q = heads_view(fused.slice(2, 0, width), heads);  // [B, L, H, D] views
    r.k = heads_view(fused.slice(2, width, 2 * width), heads);
    r.v = heads_view(fused.slice(2, 2 * width, 3 * width), heads);
  } else {
    r.q = heads_view(q(x), heads);
    r.k = heads_view(k(x), heads);
    r.v = heads_view(v(x), heads);
  }
  if (norm_q) r.q = (*norm_q)(r.q);  // RMS over head_dim, per head
  if (norm_k) r.k = (*norm_k)(r.k);
  return r;
}

MmditBlock MmditBlock::load(const nn::Binder& b, int64_t hidden, int64_t heads, bool qk_norm, bool dual_attention,
                            bool context_pre_only, float eps) {
  MmditBlock block;
  block.context_ = load_stream(b, false, hidden, heads, qk_norm, false, context_pre_only, eps);
  block.image_ = load_stream(b, true, hidden, heads, qk_norm, dual_attention, false, eps);
  return block;
}

void MmditBlock::forward(Tensor& context, Tensor& x, const Tensor& c_silu) const {
  const MmditStreamState cs = pre_attention(context_, context, c_silu);
  const MmditStreamState xs = pre_attention(image_, x, c_silu);
  const int64_t context_length = context.dim(1), image_length = x.dim(1);
  // One attention over [context tokens, image tokens]: [B, Lc + Lx, H, D] each.
  const Tensor q = ops::concat({cs.qkv.q, xs.qkv.q}, 1);
  const Tensor k = ops::concat({cs.qkv.k, xs.qkv.k}, 1);
  const Tensor v = ops::concat({cs.qkv.v, xs.qkv.v}, 1);
  const Tensor attended = attend(q, k, v);  // [B, Lc + Lx, C]
  const Tensor attended2 = xs.qkv2 ? attend(xs.qkv2->q, xs.qkv2->k, xs.qkv2->v) : Tensor();  // [B, Lx, C]
  if (context_.pre_only)
    context = Tensor();
  else
    context = post_attention(context_, context, cs, attended.slice(1, 0, context_length), {});
  x = post_attention(image_, x, xs, attended.slice(1, context_length, context_length + image_length), attended2);
}

}  // namespace ad::models

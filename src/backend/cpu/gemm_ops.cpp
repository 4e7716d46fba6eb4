// GEMM-shaped ops of the CPU backend on oneDNN: linear and batched matmul as matmul primitives,
// conv2d as a convolution primitive with weights in the primitive's blocked layout.
// Measured choice (docs/dependencies.md): oneDNN's brgemm kernels reach ~95% of this machine's
// f32 peak at UNet shapes where OpenBLAS 0.3.21 reaches ~45% (it does not know the CPU).
// Per-call costs (docs/performance.md): primitive descriptors cost 5-40 us (oneDNN's primitive
// cache makes the primitive itself ~2 us), so they are made per call; the weight reorder costs
// up to a whole 8x8 convolution, so prepared weights are cached (weight_cache.h).
#include <cstring>
#include <string>

#include "backend/cpu/convert.h"
#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/dnnl_util.h"
#include "backend/cpu/loop_plan.h"
#include "backend/cpu/weight_cache.h"

namespace ad::cpu {

namespace {

using dnnl::memory;

// Scratch memory for a primitive, from the arena.
struct Scratch {
  Tensor buffer;
  memory mem;
};

Scratch make_scratch(const memory::desc& desc) {
  Scratch s;
  s.buffer = Tensor::empty(Shape{static_cast<int64_t>(std::max<size_t>(desc.get_size(), 1))}, DType::U8);
  s.mem = memory(desc, dnnl_engine(), s.buffer.raw_data());
  return s;
}

dnnl::primitive_attr make_attr(const Epilogue& epilogue) {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  attr.set_post_ops(dnnl_post_ops(epilogue));
  return attr;
}

void add_residual_arg(std::unordered_map<int, memory>& args, const Epilogue& epilogue) {
  if (!epilogue.residual.defined()) return;
  const int index = epilogue.activation == Activation::None ? 0 : 1;
  args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(index) | DNNL_ARG_SRC_1] =
      dnnl_memory(dnnl_desc(epilogue.residual), epilogue.residual);
}

// Memory formats of 4-D tensors that oneDNN's fast convolutions take. They are described to
// oneDNN by format tag, not by strides: with N = 1, a stride-described channels-last tensor came
// out as an odd permutation ("cdab") and oneDNN fell back to its reference convolution (~100x
// slower); NCHW in with channels-last out (or the reverse) does too.
enum class Format : uint8_t { Nchw, Nhwc, Other };

Format format_of(const Tensor& t) {
  if (t.is_contiguous()) return Format::Nchw;
  const int64_t C = t.dim(1), H = t.dim(2), W = t.dim(3);
  const bool nhwc = (t.stride(1) == 1 || C == 1) && (t.stride(3) == C || W == 1) && (t.stride(2) == W * C || H == 1) &&
                    (t.stride(0) == H * W * C || t.dim(0) == 1);
  return nhwc ? Format::Nhwc : Format::Other;
}

Tensor empty_in_format(const Shape& s, Format format) {
  return format == Format::Nhwc ? Tensor::empty_strided(s, Strides{s[1] * s[2] * s[3], 1, s[3] * s[1], s[1]})
                                : Tensor::empty(s);
}

// A copy of t in the given format (Nchw or Nhwc).
Tensor to_format(const Tensor& t, Format format) {
  Tensor out = empty_in_format(t.shape(), format);
  out.copy_from(t);
  return out;
}

// Activation, then the residual as a `sum` post-op (the residual is first copied into dst):
// oneDNN 2.6 keeps its brgemm convolution for sum but drops to an older kernel for a binary
// add, and the copy makes any residual layout work.
dnnl::primitive_attr conv_attr(const Epilogue& epilogue) {
  dnnl::post_ops ops = dnnl_post_ops(Epilogue{epilogue.activation, Tensor()});
  if (epilogue.residual.defined()) ops.append_sum(1.0f);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  attr.set_post_ops(ops);
  return attr;
}

// A readable, exact description of a memory layout: the cache variant of a reordered weight.
std::string layout_key(const memory::desc& desc) {
  const dnnl_memory_desc_t& d = desc.data;
  std::string key = "dt" + std::to_string(static_cast<int>(d.data_type)) + ":fk" +
                    std::to_string(static_cast<int>(d.format_kind)) + ":";
  for (int i = 0; i < d.ndims; ++i) key += std::to_string(d.dims[i]) + "/" + std::to_string(d.padded_dims[i]) + ",";
  if (d.format_kind == dnnl_blocked) {
    const dnnl_blocking_desc_t& b = d.format_desc.blocking;
    key += ":s";
    for (int i = 0; i < d.ndims; ++i) key += std::to_string(b.strides[i]) + ",";
    key += ":b";
    for (int i = 0; i < b.inner_nblks; ++i) key += std::to_string(b.inner_blks[i]) + "x" + std::to_string(b.inner_idxs[i]) + ",";
  }
  return key + ":e" + std::to_string(d.extra.flags);
}

// Weight [rows, K...] as F32 with its own shape, contiguous: itself, or a cached widened copy.
Tensor weight_as_f32(const Tensor& weight) {
  if (weight.dtype() == DType::F32 && weight.is_contiguous()) return weight;
  const size_t bytes = static_cast<size_t>(weight.numel()) * sizeof(float);
  return WeightCache::instance().get(weight, "f32", bytes, [&](bool keep) {
    const Tensor widened = as_dense_f32(weight);
    if (!keep) return widened;
    Tensor out = WeightCache::allocate(weight.shape(), DType::F32, true);
    std::memcpy(out.raw_data(), widened.raw_data(), widened.nbytes());
    return out;
  });
}

// Convolution weights in the primitive's layout, prepared once (widen + reorder) and cached;
// `holder` keeps the data alive for the call (also when the cache declined to keep it).
struct PackedWeight {
  Tensor holder;
  memory mem;
};

PackedWeight conv_weight_memory(const Tensor& weight, const memory::desc& packed_desc) {
  const memory::desc user_desc(memory::dims(weight.shape().begin(), weight.shape().end()), memory::data_type::f32,
                               memory::format_tag::oihw);
  if (packed_desc == user_desc) {
    Tensor w = weight_as_f32(weight);
    return {w, dnnl_memory(user_desc, w)};
  }
  const size_t bytes = std::max<size_t>(packed_desc.get_size(), 1);
  Tensor packed = WeightCache::instance().get(weight, layout_key(packed_desc), bytes, [&](bool keep) {
    const Tensor dense = as_dense_f32(weight);  // [O, C, kh, kw], arena temporary
    Tensor out = WeightCache::allocate(Shape{static_cast<int64_t>(bytes)}, DType::U8, keep);
    memory src = dnnl_memory(user_desc, dense);
    memory dst(packed_desc, dnnl_engine(), out.raw_data());
    dnnl::reorder(src, dst).execute(dnnl_stream(), src, dst);
    dnnl_stream().wait();
    return out;
  });
  return {packed, memory(packed_desc, dnnl_engine(), packed.raw_data())};
}

Tensor bias_as_f32(const Tensor& bias) { return bias.defined() ? as_dense_f32(bias) : Tensor(); }

}  // namespace

bool is_reference_impl(const dnnl::primitive_desc_base& pd) {
  return std::string(pd.impl_info_str()).rfind("ref", 0) == 0;
}

// Declines (reference): K = 0 (oneDNN rejects empty reductions), stride-0 (broadcast) x.
// A contiguous residual is a binary-add post-op; any other is copied into out and added by a
// sum post-op (oneDNN 2.6 has only its reference matmul for a strided binary operand).
void CpuBackend::linear(const Tensor& x, const Tensor& weight, const Tensor& bias, const Epilogue& epilogue, Tensor& out) {
  const int64_t M = x.dim(0), K = x.dim(1), N = weight.dim(0);
  if (M == 0 || N == 0) return;
  if (K == 0 || has_broadcast_dim(x)) {
    reference_backend().linear(x, weight, bias, epilogue, out);
    return;
  }
  const Tensor w = weight_as_f32(weight);  // [N, K]
  const Tensor b = bias_as_f32(bias);
  const bool residual_as_sum = epilogue.residual.defined() && !epilogue.residual.is_contiguous();
  Epilogue e = epilogue;
  if (residual_as_sum) {
    out.copy_from(epilogue.residual);
    e.residual = Tensor();
  }
  dnnl::post_ops ops = dnnl_post_ops(e);
  if (residual_as_sum) ops.append_sum(1.0f);
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  attr.set_post_ops(ops);
  const memory::desc weight_desc({K, N}, memory::data_type::f32, memory::dims{1, K});
  const memory::desc dst_desc = dnnl_desc(out);
  const memory::desc bias_desc = b.defined() ? memory::desc({1, N}, memory::data_type::f32, memory::dims{N, 1})
                                             : memory::desc();
  auto make_pd = [&](const Tensor& src) {
    return dnnl::matmul::primitive_desc(dnnl::matmul::desc(dnnl_desc(src), weight_desc, bias_desc, dst_desc), attr,
                                        dnnl_engine());
  };
  Tensor src = x;
  dnnl::matmul::primitive_desc pd = make_pd(src);
  if (is_reference_impl(pd) && !src.is_contiguous()) {  // e.g. rows with padding: dense rows are fast
    src = x.contiguous();
    pd = make_pd(src);
  }
  Scratch scratch = make_scratch(pd.scratchpad_desc());
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, dnnl_memory(pd.src_desc(), src)},
                                       {DNNL_ARG_WEIGHTS, dnnl_memory(weight_desc, w)},
                                       {DNNL_ARG_DST, dnnl_memory(dst_desc, out)},
                                       {DNNL_ARG_SCRATCHPAD, scratch.mem}};
  if (b.defined()) args[DNNL_ARG_BIAS] = dnnl_memory(bias_desc, b);
  add_residual_arg(args, e);
  dnnl::matmul(pd).execute(dnnl_stream(), args);
  dnnl_stream().wait();
}

// Declines (reference): K = 0. Broadcast operands are made contiguous first, and so are both
// operands when their strides leave oneDNN only its reference matmul (batch innermost, say).
void CpuBackend::matmul(const Tensor& a, const Tensor& b, Tensor& out) {
  if (out.numel() == 0) return;
  if (a.dim(2) == 0) {
    reference_backend().matmul(a, b, out);
    return;
  }
  Tensor ac = has_broadcast_dim(a) ? a.contiguous() : a;
  Tensor bc = has_broadcast_dim(b) ? b.contiguous() : b;
  const memory::desc o_desc = dnnl_desc(out);
  auto make_pd = [&] {
    return dnnl::matmul::primitive_desc(dnnl::matmul::desc(dnnl_desc(ac), dnnl_desc(bc), o_desc), make_attr({}),
                                        dnnl_engine());
  };
  dnnl::matmul::primitive_desc pd = make_pd();
  if (is_reference_impl(pd) && !(ac.is_contiguous() && bc.is_contiguous())) {
    ac = ac.contiguous();
    bc = bc.contiguous();
    pd = make_pd();
  }
  Scratch scratch = make_scratch(pd.scratchpad_desc());
  dnnl::matmul(pd).execute(dnnl_stream(), {{DNNL_ARG_SRC, dnnl_memory(pd.src_desc(), ac)},
                                           {DNNL_ARG_WEIGHTS, dnnl_memory(pd.weights_desc(), bc)},
                                           {DNNL_ARG_DST, dnnl_memory(o_desc, out)},
                                           {DNNL_ARG_SCRATCHPAD, scratch.mem}});
  dnnl_stream().wait();
}

// Declines (reference): no input channels, stride-0 (broadcast) x.
// Layouts: the convolution runs in out's format (NCHW or channels-last); an input in another
// layout is converted first, or, when it is the larger of the two, the result is computed in the
// input's format and converted (conv_out: 320 channels in, 4 out). NCHW falls back to
// channels-last where oneDNN has only its reference kernel for the post-ops.
void CpuBackend::conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dOptions& options,
                        const Epilogue& epilogue, Tensor& out) {
  if (out.numel() == 0) return;
  if (has_broadcast_dim(x) || x.dim(1) == 0) {
    reference_backend().conv2d(x, weight, bias, options, epilogue, out);
    return;
  }
  Format compute = format_of(out);
  if (compute == Format::Other) compute = Format::Nhwc;
  const Format x_format = format_of(x);
  if (x_format != compute && x_format != Format::Other && x.numel() > out.numel()) compute = x_format;
  const Tensor b = bias_as_f32(bias);
  const memory::desc bias_desc = b.defined() ? dnnl_desc(b) : memory::desc();
  const memory::desc any_weight_desc(memory::dims(weight.shape().begin(), weight.shape().end()),
                                     memory::data_type::f32, memory::format_tag::any);
  const memory::dims strides{options.stride, options.stride};
  const memory::dims pad_l{options.pad_top, options.pad_left};
  const memory::dims pad_r{options.pad_bottom, options.pad_right};
  auto make_pd = [&](Format format) {
    const memory::dims src_dims(x.shape().begin(), x.shape().end()), dst_dims(out.shape().begin(), out.shape().end());
    const auto tag = format == Format::Nhwc ? memory::format_tag::nhwc : memory::format_tag::nchw;
    const dnnl::convolution_forward::desc desc(
        dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
        memory::desc(src_dims, memory::data_type::f32, tag), any_weight_desc, bias_desc,
        memory::desc(dst_dims, memory::data_type::f32, tag), strides, pad_l, pad_r);
    return dnnl::convolution_forward::primitive_desc(desc, conv_attr(epilogue), dnnl_engine());
  };
  dnnl::convolution_forward::primitive_desc pd = make_pd(compute);
  if (is_reference_impl(pd) && compute == Format::Nchw) {  // e.g. NCHW with activation + residual
    compute = Format::Nhwc;
    pd = make_pd(compute);
  }
  const Tensor src = x_format == compute ? x : to_format(x, compute);
  Tensor dst = format_of(out) == compute ? out : empty_in_format(out.shape(), compute);
  if (epilogue.residual.defined()) dst.copy_from(epilogue.residual);  // for the sum post-op
  const memory::desc& src_desc = pd.src_desc();
  const memory::desc& dst_desc = pd.dst_desc();
  const PackedWeight w = conv_weight_memory(weight, pd.weights_desc());
  Scratch scratch = make_scratch(pd.scratchpad_desc());
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, dnnl_memory(src_desc, src)},
                                       {DNNL_ARG_WEIGHTS, w.mem},
                                       {DNNL_ARG_DST, dnnl_memory(dst_desc, dst)},
                                       {DNNL_ARG_SCRATCHPAD, scratch.mem}};
  if (b.defined()) args[DNNL_ARG_BIAS] = dnnl_memory(bias_desc, b);
  dnnl::convolution_forward(pd).execute(dnnl_stream(), args);
  dnnl_stream().wait();
  if (dst.raw_data() != out.raw_data()) out.copy_from(dst);
}

}  // namespace ad::cpu

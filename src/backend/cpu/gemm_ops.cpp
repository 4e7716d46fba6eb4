// GEMM-shaped ops of the CPU backend on oneDNN: linear and batched matmul as matmul primitives,
// conv2d as a convolution primitive with weights reordered into the primitive's blocked layout.
// Measured choice (docs/dependencies.md): oneDNN's brgemm kernels reach ~95% of this machine's
// f32 peak at UNet shapes where OpenBLAS 0.3.21 reaches ~45% (it does not know the CPU).
#include <cstring>

#include "backend/cpu/convert.h"
#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/dnnl_util.h"

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

bool has_zero_stride(const Tensor& t) {
  for (int i = 0; i < t.ndim(); ++i)
    if (t.stride(i) == 0 && t.dim(i) > 1) return true;
  return false;
}

void add_residual_arg(std::unordered_map<int, memory>& args, const Epilogue& epilogue) {
  if (!epilogue.residual.defined()) return;
  const int index = epilogue.activation == Activation::None ? 0 : 1;
  args[DNNL_ARG_ATTR_MULTIPLE_POST_OP(index) | DNNL_ARG_SRC_1] =
      dnnl_memory(dnnl_desc(epilogue.residual), epilogue.residual);
}

}  // namespace

void CpuBackend::linear(const Tensor& x, const Tensor& weight, const Tensor& bias, const Epilogue& epilogue, Tensor& out) {
  const int64_t M = x.dim(0), K = x.dim(1), N = weight.dim(0);
  if (M == 0 || N == 0) return;
  if (K == 0 || has_zero_stride(x) || (epilogue.residual.defined() && has_zero_stride(epilogue.residual))) {
    reference_backend().linear(x, weight, bias, epilogue, out);
    return;
  }
  const Tensor w = as_dense_f32(weight);  // [N, K]
  const memory::desc src_desc = dnnl_desc(x);
  const memory::desc weight_desc({K, N}, memory::data_type::f32, memory::dims{1, K});
  const memory::desc dst_desc = dnnl_desc(out);
  Tensor b;
  memory::desc bias_desc;
  if (bias.defined()) {
    b = as_dense_f32(bias);
    bias_desc = memory::desc({1, N}, memory::data_type::f32, memory::dims{N, 1});
  }
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src_desc, weight_desc, bias_desc, dst_desc),
                                        make_attr(epilogue), dnnl_engine());
  Scratch scratch = make_scratch(pd.scratchpad_desc());
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, dnnl_memory(src_desc, x)},
                                       {DNNL_ARG_WEIGHTS, dnnl_memory(weight_desc, w)},
                                       {DNNL_ARG_DST, dnnl_memory(dst_desc, out)},
                                       {DNNL_ARG_SCRATCHPAD, scratch.mem}};
  if (b.defined()) args[DNNL_ARG_BIAS] = dnnl_memory(bias_desc, b);
  add_residual_arg(args, epilogue);
  dnnl::matmul(pd).execute(dnnl_stream(), args);
  dnnl_stream().wait();
}

void CpuBackend::matmul(const Tensor& a, const Tensor& b, Tensor& out) {
  if (out.numel() == 0) return;
  const Tensor ac = (has_zero_stride(a) || a.dim(2) == 0) ? a.contiguous() : a;
  const Tensor bc = has_zero_stride(b) ? b.contiguous() : b;
  if (a.dim(2) == 0) {
    reference_backend().matmul(a, b, out);
    return;
  }
  const memory::desc a_desc = dnnl_desc(ac), b_desc = dnnl_desc(bc), o_desc = dnnl_desc(out);
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(a_desc, b_desc, o_desc), make_attr({}), dnnl_engine());
  Scratch scratch = make_scratch(pd.scratchpad_desc());
  dnnl::matmul(pd).execute(dnnl_stream(), {{DNNL_ARG_SRC, dnnl_memory(a_desc, ac)},
                                           {DNNL_ARG_WEIGHTS, dnnl_memory(b_desc, bc)},
                                           {DNNL_ARG_DST, dnnl_memory(o_desc, out)},
                                           {DNNL_ARG_SCRATCHPAD, scratch.mem}});
  dnnl_stream().wait();
}

void CpuBackend::conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dOptions& options,
                        const Epilogue& epilogue, Tensor& out) {
  if (out.numel() == 0) return;
  if (has_zero_stride(x) || x.dim(1) == 0 || (epilogue.residual.defined() && has_zero_stride(epilogue.residual))) {
    reference_backend().conv2d(x, weight, bias, options, epilogue, out);
    return;
  }
  const Tensor w = as_dense_f32(weight);  // [O, C, kh, kw]
  const memory::desc src_desc = dnnl_desc(x);
  const memory::desc dst_desc = dnnl_desc(out);
  const memory::desc user_weight_desc = dnnl_desc(w);
  const memory::desc any_weight_desc(user_weight_desc.dims(), memory::data_type::f32, memory::format_tag::any);
  Tensor b;
  memory::desc bias_desc;
  if (bias.defined()) {
    b = as_dense_f32(bias);
    bias_desc = dnnl_desc(b);
  }
  const memory::dims strides{options.stride, options.stride};
  const memory::dims pad_l{options.pad_top, options.pad_left};
  const memory::dims pad_r{options.pad_bottom, options.pad_right};
  const dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                             src_desc, any_weight_desc, bias_desc, dst_desc, strides, pad_l, pad_r);
  const dnnl::convolution_forward::primitive_desc pd(desc, make_attr(epilogue), dnnl_engine());
  // Weights in the primitive's own (blocked) layout.
  Tensor packed_weight;
  memory weight_mem = dnnl_memory(user_weight_desc, w);
  if (pd.weights_desc() != user_weight_desc) {
    Scratch packed = make_scratch(pd.weights_desc());
    dnnl::reorder(weight_mem, packed.mem).execute(dnnl_stream(), weight_mem, packed.mem);
    packed_weight = packed.buffer;
    weight_mem = packed.mem;
  }
  Scratch scratch = make_scratch(pd.scratchpad_desc());
  std::unordered_map<int, memory> args{{DNNL_ARG_SRC, dnnl_memory(src_desc, x)},
                                       {DNNL_ARG_WEIGHTS, weight_mem},
                                       {DNNL_ARG_DST, dnnl_memory(dst_desc, out)},
                                       {DNNL_ARG_SCRATCHPAD, scratch.mem}};
  if (b.defined()) args[DNNL_ARG_BIAS] = dnnl_memory(bias_desc, b);
  add_residual_arg(args, epilogue);
  dnnl::convolution_forward(pd).execute(dnnl_stream(), args);
  dnnl_stream().wait();
}

}  // namespace ad::cpu

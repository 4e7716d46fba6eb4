#include "backend/cpu/dnnl_util.h"

namespace ad::cpu {

dnnl::engine& dnnl_engine() {
  static dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  return engine;
}

dnnl::stream& dnnl_stream() {
  static dnnl::stream stream(dnnl_engine());
  return stream;
}

dnnl::memory::data_type dnnl_dtype(DType dtype) {
  switch (dtype) {
    case DType::F32: return dnnl::memory::data_type::f32;
    case DType::F16: return dnnl::memory::data_type::f16;
    case DType::BF16: return dnnl::memory::data_type::bf16;
    case DType::I32: return dnnl::memory::data_type::s32;
    case DType::I8: return dnnl::memory::data_type::s8;
    case DType::U8: return dnnl::memory::data_type::u8;
    default: fail("oneDNN has no data type for {}", dtype_name(dtype));
  }
}

dnnl::memory::desc dnnl_desc(const Tensor& t) {
  dnnl::memory::dims dims(t.shape().begin(), t.shape().end());
  dnnl::memory::dims strides(t.strides().begin(), t.strides().end());
  // A size-1 dimension may carry any stride; give it the one a dense layout would, since oneDNN
  // infers the memory format from the strides (and picks kernels that reject odd ones).
  for (int i = t.ndim() - 1; i >= 0; --i)
    if (dims[static_cast<size_t>(i)] == 1)
      strides[static_cast<size_t>(i)] = i + 1 < t.ndim() ? strides[static_cast<size_t>(i + 1)] * dims[static_cast<size_t>(i + 1)] : 1;
  return dnnl::memory::desc(dims, dnnl_dtype(t.dtype()), strides);
}

dnnl::memory dnnl_memory(const dnnl::memory::desc& desc, const Tensor& t) {
  return dnnl::memory(desc, dnnl_engine(), t.raw_data());
}

dnnl::post_ops dnnl_post_ops(const Epilogue& epilogue) {
  dnnl::post_ops ops;
  switch (epilogue.activation) {
    case Activation::None: break;
    case Activation::Silu: ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_swish, 1.0f, 0.0f); break;
    case Activation::QuickGelu: ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_swish, 1.702f, 0.0f); break;
    case Activation::Gelu: ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_gelu_erf, 0.0f, 0.0f); break;
    case Activation::GeluTanh: ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_gelu_tanh, 0.0f, 0.0f); break;
  }
  if (epilogue.residual.defined()) ops.append_binary(dnnl::algorithm::binary_add, dnnl_desc(epilogue.residual));
  return ops;
}

}  // namespace ad::cpu

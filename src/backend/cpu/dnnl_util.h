// oneDNN glue for the CPU backend: one engine and stream, memory descriptors that describe our
// tensors (any strides) without copying, and post-op chains for epilogues.
#pragma once

#include <dnnl.hpp>

#include "backend/op_params.h"
#include "core/tensor.h"

namespace ad::cpu {

dnnl::engine& dnnl_engine();
dnnl::stream& dnnl_stream();

dnnl::memory::data_type dnnl_dtype(DType dtype);
// Descriptor with the tensor's own dims and strides.
dnnl::memory::desc dnnl_desc(const Tensor& t);
// A memory object over the tensor's data (no copy).
dnnl::memory dnnl_memory(const dnnl::memory::desc& desc, const Tensor& t);

// Activation and residual add as oneDNN post-ops (residual given as a binary-add operand).
dnnl::post_ops dnnl_post_ops(const Epilogue& epilogue);

}  // namespace ad::cpu

// The CPU backend's ops live by family, each op choosing its fast path or the reference:
//   elementwise_ops.cpp  binary (broadcasting), unary, geglu
//   norm_ops.cpp         softmax, layer_norm, rms_norm
//   group_norm.cpp       group_norm (NCHW, channels-last, [N, C, *])
//   data_ops.cpp         upsample_nearest, embedding
//   gemm_ops.cpp         linear, matmul, conv2d (oneDNN)
//   attention.cpp        attention
// with the vectorised row kernels in kernels_*.cpp (kernels.h) and the loop planning of
// strided operands in loop_plan.cpp.
#include "backend/cpu/cpu_backend.h"

// Tensor ops: each checks its arguments (a bad shape is an ad::Error naming the op and the
// shapes), allocates the result from the current arena and runs the backend of the inputs.
// Float ops compute in F32; weights may be F16/BF16.
#pragma once

#include <span>
#include <vector>

#include "backend/op_params.h"
#include "core/tensor.h"

namespace ad::ops {

// Element-wise with NumPy broadcasting; F32.
Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
// a += b in place (b broadcast to a's shape).
void add_(Tensor& a, const Tensor& b);

Tensor silu(const Tensor& x);
Tensor gelu(const Tensor& x);       // exact (erf)
Tensor gelu_tanh(const Tensor& x);  // tanh approximation
Tensor quick_gelu(const Tensor& x); // x * sigmoid(1.702 x)
Tensor sigmoid(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor affine(const Tensor& x, float scale, float shift);  // x * scale + shift
Tensor clamp(const Tensor& x, float low, float high);
// [..., 2n] -> [..., n]: first half * gelu(second half).
Tensor geglu(const Tensor& x);

Tensor softmax(const Tensor& x);  // over the last dimension
Tensor layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps);
Tensor rms_norm(const Tensor& x, const Tensor& weight, float eps);
// x [N, C, *]; the result keeps x's memory format.
Tensor group_norm(const Tensor& x, int groups, const Tensor& weight, const Tensor& bias, float eps, bool silu = false);

// x [..., K] -> [..., N] with weight [N, K] as stored by PyTorch's nn.Linear.
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor& bias, const Epilogue& epilogue = {});
// [..., M, K] x [..., K, N] (leading dimensions broadcast).
Tensor matmul(const Tensor& a, const Tensor& b);
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dOptions& options,
              const Epilogue& epilogue = {});
Tensor upsample_nearest(const Tensor& x, int scale);
// q [B, H, Lq, D], k [B, H, Lk, D], v [B, H, Lk, Dv] (views allowed; unit stride along D).
// Returns [B, H, Lq, Dv] stored as [B, Lq, H, Dv], so that out.transpose(1, 2) is contiguous.
Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, const AttentionOptions& options = {},
                 const Tensor& bias = {});
// ids I64 [*] -> [*, D]; an id outside the table is an error.
Tensor embedding(const Tensor& ids, const Tensor& table);

Tensor concat(std::span<const Tensor> tensors, int dim);
inline Tensor concat(std::initializer_list<Tensor> tensors, int dim) {
  return concat(std::span<const Tensor>(tensors.begin(), tensors.size()), dim);
}
// Splits dim into equal chunks (views).
std::vector<Tensor> chunk(const Tensor& x, int chunks, int dim);
// A copy in channels-last memory order (NHWC strides) of an [N, C, H, W] tensor.
Tensor to_channels_last(const Tensor& x);

// Broadcast shape of two shapes, or an error naming the op.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);

}  // namespace ad::ops

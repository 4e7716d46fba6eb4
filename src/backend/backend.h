// Backend interface: one implementation of every op per device. The op functions in ops.h check
// their arguments, infer and allocate the output, and call the backend of the inputs' device, so
// a new backend adds files and does not edit the ops. Outputs arrive allocated; inputs may be
// strided views (each op documents what it requires of them).
#pragma once

#include <string_view>

#include "backend/op_params.h"
#include "core/tensor.h"

namespace ad {

class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::string_view name() const = 0;

  // a and b have out's shape (broadcast dimensions have stride 0); all F32.
  virtual void binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) = 0;
  // x has out's shape; F32.
  virtual void unary(UnaryOp op, const UnaryParams& params, const Tensor& x, Tensor& out) = 0;
  // out[..., j] = x[..., j] * gelu(x[..., j + n]) with n = out.dim(-1) (exact GELU).
  virtual void geglu(const Tensor& x, Tensor& out) = 0;
  // Over the last dimension.
  virtual void softmax(const Tensor& x, Tensor& out) = 0;
  // Over the last dimension; weight / bias optional (undefined), any float dtype.
  virtual void layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor& out) = 0;
  virtual void rms_norm(const Tensor& x, const Tensor& weight, float eps, Tensor& out) = 0;
  // x [N, C, *spatial] (any strides), groups of contiguous channel ranges; optional fused SiLU.
  virtual void group_norm(const Tensor& x, int groups, const Tensor& weight, const Tensor& bias, float eps, bool silu,
                          Tensor& out) = 0;
  // x [M, K] (unit stride along K), weight [N, K] (F32/F16/BF16), bias [N] or undefined, out [M, N].
  virtual void linear(const Tensor& x, const Tensor& weight, const Tensor& bias, const Epilogue& epilogue, Tensor& out) = 0;
  // a [B, M, K], b [B, K, N] (any strides), out [B, M, N].
  virtual void matmul(const Tensor& a, const Tensor& b, Tensor& out) = 0;
  // x [N, C, H, W], weight [O, C, kh, kw] (F32/F16/BF16), bias [O] or undefined.
  virtual void conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dOptions& options,
                      const Epilogue& epilogue, Tensor& out) = 0;
  // x [N, C, H, W] -> out [N, C, H*scale, W*scale].
  virtual void upsample_nearest(const Tensor& x, int scale, Tensor& out) = 0;
  // q [B, H, Lq, D], k [B, H, Lk, D], v [B, H, Lk, Dv] with unit stride along D; bias (optional)
  // broadcastable to [B, H, Lq, Lk] and added to the scaled scores; out [B, H, Lq, Dv].
  virtual void attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& bias,
                         const AttentionOptions& options, Tensor& out) = 0;
  // ids (I64) [*], table [V, D] (any float dtype) -> out [*, D]; ids were range-checked.
  virtual void embedding(const Tensor& ids, const Tensor& table, Tensor& out) = 0;
};

// The plain reference implementation (loops, double accumulation where it matters): the test
// oracle and the fallback of the fast kernels.
Backend& reference_backend();
// The optimised CPU backend.
Backend& cpu_backend();
// The backend ops use for a device (the CPU backend unless a test selects another).
Backend& backend_for(Device device);
// Makes ops use `backend` for CPU tensors while in scope (tests compare backends with it).
class BackendOverride {
 public:
  explicit BackendOverride(Backend& backend);
  ~BackendOverride();
  BackendOverride(const BackendOverride&) = delete;
  BackendOverride& operator=(const BackendOverride&) = delete;

 private:
  Backend* previous_;
};

}  // namespace ad

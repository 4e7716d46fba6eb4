// The optimised CPU backend: GEMM-shaped ops through oneDNN primitives (matmul, convolution),
// the rest through our own vectorised kernels (kernels.h). Each op falls back to the reference
// backend for cases its fast path declines.
#pragma once

#include "backend/backend.h"

namespace ad::cpu {

class CpuBackend final : public Backend {
 public:
  std::string_view name() const override { return "cpu"; }
  void binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) override;
  void unary(UnaryOp op, const UnaryParams& params, const Tensor& x, Tensor& out) override;
  void geglu(const Tensor& x, Tensor& out) override;
  void softmax(const Tensor& x, Tensor& out) override;
  void layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor& out) override;
  void rms_norm(const Tensor& x, const Tensor& weight, float eps, Tensor& out) override;
  void group_norm(const Tensor& x, int groups, const Tensor& weight, const Tensor& bias, float eps, bool silu,
                  Tensor& out) override;
  void linear(const Tensor& x, const Tensor& weight, const Tensor& bias, const Epilogue& epilogue, Tensor& out) override;
  void matmul(const Tensor& a, const Tensor& b, Tensor& out) override;
  void conv2d(const Tensor& x, const Tensor& weight, const Tensor& bias, const Conv2dOptions& options,
              const Epilogue& epilogue, Tensor& out) override;
  void upsample_nearest(const Tensor& x, int scale, Tensor& out) override;
  void attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& bias, const AttentionOptions& options,
                 Tensor& out) override;
  void embedding(const Tensor& ids, const Tensor& table, Tensor& out) override;
};

}  // namespace ad::cpu

#include "backend/cpu/cpu_backend.h"

namespace ad::cpu {

// Ops not yet given a vectorised kernel run the reference implementation.
void CpuBackend::binary(BinaryOp op, const Tensor& a, const Tensor& b, Tensor& out) { reference_backend().binary(op, a, b, out); }
void CpuBackend::unary(UnaryOp op, const UnaryParams& params, const Tensor& x, Tensor& out) { reference_backend().unary(op, params, x, out); }
void CpuBackend::geglu(const Tensor& x, Tensor& out) { reference_backend().geglu(x, out); }
void CpuBackend::softmax(const Tensor& x, Tensor& out) { reference_backend().softmax(x, out); }
void CpuBackend::layer_norm(const Tensor& x, const Tensor& weight, const Tensor& bias, float eps, Tensor& out) { reference_backend().layer_norm(x, weight, bias, eps, out); }
void CpuBackend::rms_norm(const Tensor& x, const Tensor& weight, float eps, Tensor& out) { reference_backend().rms_norm(x, weight, eps, out); }
void CpuBackend::group_norm(const Tensor& x, int groups, const Tensor& weight, const Tensor& bias, float eps, bool silu, Tensor& out) { reference_backend().group_norm(x, groups, weight, bias, eps, silu, out); }
void CpuBackend::upsample_nearest(const Tensor& x, int scale, Tensor& out) { reference_backend().upsample_nearest(x, scale, out); }
void CpuBackend::embedding(const Tensor& ids, const Tensor& table, Tensor& out) { reference_backend().embedding(ids, table, out); }

}  // namespace ad::cpu

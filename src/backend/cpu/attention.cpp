// Scaled-dot-product attention of the CPU backend.
#include "backend/cpu/cpu_backend.h"

namespace ad::cpu {

void CpuBackend::attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor& bias, const AttentionOptions& options, Tensor& out) { reference_backend().attention(q, k, v, bias, options, out); }

}  // namespace ad::cpu

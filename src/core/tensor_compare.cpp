#include "core/tensor_compare.h"

#include <cmath>

namespace ad {

TensorDiff compare_tensors(const Tensor& got, const Tensor& want) {
  AD_CHECK(got.shape() == want.shape(), "compare: {} vs {}", got.describe(), want.describe());
  const Tensor g = got.to(DType::F64).contiguous();
  const Tensor w = want.to(DType::F64).contiguous();
  TensorDiff d;
  double err2 = 0, ref2 = 0;
  for (int64_t i = 0; i < g.numel(); ++i) {
    const double a = g.data<double>()[i], b = w.data<double>()[i];
    if (!std::isfinite(a)) d.finite = false;
    d.max_abs = std::max(d.max_abs, std::abs(a - b));
    err2 += (a - b) * (a - b);
    ref2 += b * b;
  }
  d.rel_l2 = ref2 > 0 ? std::sqrt(err2 / ref2) : std::sqrt(err2);
  return d;
}

}  // namespace ad

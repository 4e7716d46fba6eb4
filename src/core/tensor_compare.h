// Error metrics between two tensors of the same shape (any dtypes, any strides).
#pragma once

#include "core/tensor.h"

namespace ad {

struct TensorDiff {
  double max_abs = 0;  // largest |got - want|
  double rel_l2 = 0;   // ||got - want||_2 / ||want||_2 (the absolute norm when want is all zeros)
  bool finite = true;  // got has no NaN / Inf
};

TensorDiff compare_tensors(const Tensor& got, const Tensor& want);

}  // namespace ad

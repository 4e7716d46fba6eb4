// Element-wise copy between tensors of the same shape, any strides, any dtypes.
#pragma once

#include <cstddef>
#include <cstdint>

#include "core/dtype.h"

namespace ad {

class Tensor;

void strided_copy(const Tensor& source, Tensor& destination);
double load_as_double(const std::byte* base, int64_t element, DType dtype);

}  // namespace ad

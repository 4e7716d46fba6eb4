// Helpers shared by the unit tests: seeded random tensors, error metrics, test data paths.
#pragma once

#include <cstdint>
#include <string>

#include "core/tensor.h"

namespace ad::test {

std::string data_dir();  // tests/data
std::string cli_path();  // the built animatediff program

// Uniform in [low, high) from a fixed-seed generator (deterministic across runs).
Tensor random_tensor(const Shape& shape, uint64_t seed, float low = -1.0f, float high = 1.0f);

struct Diff {
  double max_abs = 0;
  double rel_l2 = 0;
  bool finite = true;
};
// got vs want (any strides, any float dtypes); rel_l2 = |got - want| / |want|.
Diff compare(const Tensor& got, const Tensor& want);

}  // namespace ad::test

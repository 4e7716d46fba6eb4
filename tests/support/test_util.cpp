#include "support/test_util.h"

#include <random>

namespace ad::test {

std::string data_dir() { return AD_TEST_DATA_DIR; }
std::string cli_path() { return AD_CLI_PATH; }

Tensor random_tensor(const Shape& shape, uint64_t seed, float low, float high) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(low, high);
  Tensor t = Tensor::empty(shape);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng);
  return t;
}

}  // namespace ad::test

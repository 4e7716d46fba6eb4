#include "support/test_util.h"

#include <cmath>
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

Diff compare(const Tensor& got, const Tensor& want) {
  AD_CHECK(got.shape() == want.shape(), "compare: {} vs {}", got.describe(), want.describe());
  Tensor g = got.to(DType::F64).contiguous();
  Tensor w = want.to(DType::F64).contiguous();
  Diff d;
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

}  // namespace ad::test

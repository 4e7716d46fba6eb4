#include "support/test_util.h"

#include <fstream>
#include <random>
#include <sstream>

namespace ad::test {

std::string data_dir() { return AD_TEST_DATA_DIR; }
std::string cli_path() { return AD_CLI_PATH; }

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

Tensor random_tensor(const Shape& shape, uint64_t seed, float low, float high) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(low, high);
  Tensor t = Tensor::empty(shape);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng);
  return t;
}

}  // namespace ad::test

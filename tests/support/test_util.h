// Helpers shared by the unit tests: seeded random tensors, error metrics, test data paths.
#pragma once

#include <cstdint>
#include <cstddef>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "core/tensor_compare.h"

namespace ad::test {

std::string data_dir();  // tests/data
std::string cli_path();  // the built animatediff program
// The whole file as bytes (empty when it cannot be read).
std::string read_file(const std::string& path);
std::vector<std::byte> read_bytes(const std::string& path);
// Runs the animatediff program with `args` (shell words); its exit status and stdout + stderr.
struct CliResult {
  int status = 0;
  std::string output;
};
CliResult run_cli(const std::string& args);

// Uniform in [low, high) from a fixed-seed generator (deterministic across runs).
Tensor random_tensor(const Shape& shape, uint64_t seed, float low = -1.0f, float high = 1.0f);

using Diff = TensorDiff;
// got vs want (any strides, any float dtypes); rel_l2 = |got - want| / |want|.
inline Diff compare(const Tensor& got, const Tensor& want) { return compare_tensors(got, want); }

}  // namespace ad::test

// Random weights of a model's real shapes, made in the process: benchmarks at real size without
// downloading checkpoints. Each tensor is filled from its own counter-based stream (element i is
// a function of the stream and i), so the parallel fill gives the same values on any thread
// count; tensors are made directly in the target dtype (no f32 copy of a whole model).
#pragma once

#include <memory>
#include <string>

#include "io/memory_tensor_file.h"

namespace ad::models {

class SyntheticWeights {
 public:
  // file null: only count the parameters.
  SyntheticWeights(io::MemoryTensorFile* file, DType dtype, uint64_t seed) : file_(file), dtype_(dtype), seed_(seed) {}

  int64_t parameters() const { return parameters_; }

  // Uniform with standard deviation `std`.
  void random(const std::string& name, const Shape& shape, float std);
  void constant(const std::string& name, const Shape& shape, float value);
  // weight [out, in] with std 1/sqrt(in); bias 0.
  void linear(const std::string& name, int64_t in, int64_t out, bool bias = true);
  // weight [out, in, k, k] with std 1/sqrt(in k k); bias 0.
  void conv(const std::string& name, int64_t in, int64_t out, int64_t k);
  // GroupNorm / LayerNorm: weight 1, bias 0.
  void norm(const std::string& name, int64_t channels);

 private:
  bool begin(const Shape& shape);  // counts; true when the tensor is to be made

  io::MemoryTensorFile* file_;
  DType dtype_;
  uint64_t seed_;
  uint64_t tensors_ = 0;
  int64_t parameters_ = 0;
};

}  // namespace ad::models

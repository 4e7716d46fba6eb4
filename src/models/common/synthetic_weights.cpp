#include "models/common/synthetic_weights.h"

#include <cmath>

#include "core/splitmix64.h"
#include "core/thread_pool.h"

namespace ad::models {

namespace {

// Uniform on [-bound, bound].
template <typename T>
void fill(Tensor& t, uint64_t stream, float bound) {
  T* out = static_cast<T*>(t.raw_data());  // T is the storage type of t.dtype()
  ThreadPool::parallel_for(t.numel(), 1 << 16, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float unit = static_cast<float>(splitmix64(stream + static_cast<uint64_t>(i)) >> 40) * 0x1p-24f;
      out[i] = convert_value<T>((2.0f * unit - 1.0f) * bound);
    }
  });
}

}  // namespace

bool SyntheticWeights::begin(const Shape& shape) {
  parameters_ += shape.product();
  return file_ != nullptr;
}

void SyntheticWeights::random(const std::string& name, const Shape& shape, float std) {
  if (!begin(shape)) return;
  Tensor t = Tensor::empty(shape, dtype_);
  const uint64_t stream = splitmix64(seed_ ^ splitmix64(++tensors_));
  const float bound = std::sqrt(3.0f) * std;
  if (dtype_ == DType::F32) fill<float>(t, stream, bound);
  else if (dtype_ == DType::F16) fill<Half>(t, stream, bound);
  else fill<BFloat16>(t, stream, bound);
  file_->add(name, t);
}

void SyntheticWeights::constant(const std::string& name, const Shape& shape, float value) {
  if (!begin(shape)) return;
  file_->add(name, Tensor::full(shape, value).to(dtype_));
}

void SyntheticWeights::linear(const std::string& name, int64_t in, int64_t out, bool bias) {
  random(name + ".weight", {out, in}, 1.0f / std::sqrt(static_cast<float>(in)));
  if (bias) constant(name + ".bias", {out}, 0.0f);
}

void SyntheticWeights::conv(const std::string& name, int64_t in, int64_t out, int64_t k) {
  random(name + ".weight", {out, in, k, k}, 1.0f / std::sqrt(static_cast<float>(in * k * k)));
  constant(name + ".bias", {out}, 0.0f);
}

void SyntheticWeights::norm(const std::string& name, int64_t channels) {
  constant(name + ".weight", {channels}, 1.0f);
  constant(name + ".bias", {channels}, 0.0f);
}

}  // namespace ad::models

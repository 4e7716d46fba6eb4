#include "sampling/noise.h"

#include <cmath>
#include <numbers>

#include "core/splitmix64.h"
#include "core/thread_pool.h"

namespace ad::sampling {

double NoiseGenerator::uniform(uint64_t counter) const {
  const uint64_t bits = splitmix64(seed_ ^ splitmix64(counter));
  return (static_cast<double>(bits >> 11) + 0.5) * (1.0 / 9007199254740992.0);  // (0, 1)
}

Tensor NoiseGenerator::normal(const Shape& shape) {
  Tensor t = Tensor::empty(shape);
  float* p = t.data<float>();
  const uint64_t base = counter_;
  ThreadPool::parallel_for(t.numel(), 4096, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const double u1 = uniform(base + 2 * static_cast<uint64_t>(i));
      const double u2 = uniform(base + 2 * static_cast<uint64_t>(i) + 1);
      p[i] = static_cast<float>(std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2));
    }
  });
  counter_ += 2 * static_cast<uint64_t>(t.numel());
  return t;
}

std::vector<int64_t> NoiseGenerator::permutation(int64_t n) {
  std::vector<int64_t> p(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) p[static_cast<size_t>(i)] = i;
  for (int64_t i = n - 1; i > 0; --i) {
    const auto j = static_cast<int64_t>(uniform(counter_++) * static_cast<double>(i + 1));
    std::swap(p[static_cast<size_t>(i)], p[static_cast<size_t>(std::min(j, i))]);
  }
  return p;
}

void free_noise_shuffle(Tensor& latents, int64_t frames, int context_length, int context_stride, NoiseGenerator& rng) {
  AD_CHECK(latents.ndim() == 4 && latents.dim(0) % frames == 0, "free_noise_shuffle: {} is not frame rows of {} frames",
           latents.describe(), frames);
  const int64_t videos = latents.dim(0) / frames;
  const Tensor v = latents.view(Shape{videos, frames, latents.dim(1), latents.dim(2), latents.dim(3)});
  for (int64_t i = context_length; i < frames; i += context_stride) {
    const int64_t start = std::max<int64_t>(0, i - context_length);
    const int64_t end = std::min<int64_t>(frames, start + context_stride);
    const int64_t length = end - start;
    if (length <= 0) break;
    const std::vector<int64_t> order = rng.permutation(length);
    const int64_t count = std::min<int64_t>(frames, i + length) - i;
    for (int64_t k = 0; k < count; ++k) {
      Tensor target = v.select(1, i + k);
      target.copy_from(v.select(1, start + order[static_cast<size_t>(k)]).clone());
    }
  }
}

}  // namespace ad::sampling

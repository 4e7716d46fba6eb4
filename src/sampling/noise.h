// Seeded noise, identical on every machine, compiler and thread count.
//
// Generator: element i of the n-th value drawn from a NoiseGenerator(seed) is a pure function of
// (seed, counter): u = SplitMix64(seed ^ SplitMix64(counter)) for two consecutive counters, each
// turned into a uniform in (0, 1) from its top 53 bits, then Box-Muller in double precision
// (radius sqrt(-2 ln u1), angle 2 pi u2; the cosine branch), rounded to float. No state is shared
// between threads and no library distribution (whose algorithms differ between C++ standard
// libraries) is used. This is not PyTorch's generator: the same seed gives other noise than
// diffusers.
#pragma once

#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace ad::sampling {

class NoiseGenerator {
 public:
  explicit NoiseGenerator(uint64_t seed) : seed_(seed) {}

  // Standard normal F32 noise; successive calls continue the stream.
  Tensor normal(const Shape& shape);
  // A uniformly random permutation of 0..n-1 (Fisher-Yates on the same stream).
  std::vector<int64_t> permutation(int64_t n);

 private:
  double uniform(uint64_t counter) const;
  uint64_t seed_;
  uint64_t counter_ = 0;
};

// FreeNoise "shuffle_context" initial noise (diffusers AnimateDiffFreeNoiseMixin): for each
// window start i = L, L + s, ... < F, the frames [i, i + s) become a random permutation of the
// frames [i - L, i - L + s), so that distant windows start from related noise.
// latents: frame rows [(B F), C, h, w], modified in place.
void free_noise_shuffle(Tensor& latents, int64_t frames, int context_length, int context_stride, NoiseGenerator& rng);

}  // namespace ad::sampling

// SplitMix64's output function (Steele, Lea, Flood 2014): a fixed bijective mix of 64 bits, the
// base of every counter-based random stream in the engine (seeded noise, synthetic weights).
#pragma once

#include <cstdint>

namespace ad {

constexpr uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace ad

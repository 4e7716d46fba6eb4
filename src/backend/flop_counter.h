// Counts the floating-point operations of the GEMM-shaped ops (linear, matmul, conv2d, attention;
// 2 per multiply-add) so that benchmarks report rates of the work a model really does.
#pragma once

#include <atomic>
#include <cstdint>

namespace ad {

class FlopCounter {
 public:
  static void add(double flops) { total_.fetch_add(static_cast<uint64_t>(flops), std::memory_order_relaxed); }
  static uint64_t total() { return total_.load(std::memory_order_relaxed); }
  static void reset() { total_.store(0, std::memory_order_relaxed); }

 private:
  static inline std::atomic<uint64_t> total_{0};
};

}  // namespace ad

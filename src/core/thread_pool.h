// Thread pool: parallel loops over index ranges. It is built on OpenMP because oneDNN (our GEMM and
// convolution library, Debian's build) runs on OpenMP: one runtime means one set of worker threads,
// no oversubscription between our kernels and oneDNN's, and `--threads` sets both.
#pragma once

#include <cstdint>
#include <functional>

namespace ad {

class ThreadPool {
 public:
  // Threads used by parallel_for and by oneDNN; 0 means one per available core.
  static void set_threads(int threads);
  static int threads();
  // Index of the calling worker in [0, threads()) inside parallel_for, 0 outside.
  static int thread_index();

  // Calls body(begin, end) on disjoint chunks covering [0, count); chunks hold at least
  // `grain` indices. Runs inline when there is one chunk or when already inside a parallel region.
  static void parallel_for(int64_t count, int64_t grain, const std::function<void(int64_t, int64_t)>& body);
};

}  // namespace ad

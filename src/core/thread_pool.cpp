#include "core/thread_pool.h"

#include <omp.h>

#include <algorithm>
#include <thread>

namespace ad {

namespace {
int g_threads = 0;
int resolved_threads() {
  if (g_threads > 0) return g_threads;
  return std::max(1, omp_get_num_procs());
}
}  // namespace

void ThreadPool::set_threads(int threads) {
  g_threads = threads > 0 ? threads : 0;
  omp_set_num_threads(resolved_threads());
}

int ThreadPool::threads() { return resolved_threads(); }

int ThreadPool::thread_index() { return omp_in_parallel() ? omp_get_thread_num() : 0; }

void ThreadPool::parallel_for(int64_t count, int64_t grain, const std::function<void(int64_t, int64_t)>& body) {
  if (count <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  const int64_t max_chunks = (count + grain - 1) / grain;
  const int threads = static_cast<int>(std::min<int64_t>(resolved_threads(), max_chunks));
  if (threads <= 1 || omp_in_parallel()) {
    body(0, count);
    return;
  }
  // Static partition: one contiguous range per thread (deterministic, cache-friendly).
#pragma omp parallel num_threads(threads)
  {
    const int64_t t = omp_get_thread_num();
    const int64_t n = omp_get_num_threads();
    const int64_t begin = count * t / n;
    const int64_t end = count * (t + 1) / n;
    if (begin < end) body(begin, end);
  }
}

}  // namespace ad

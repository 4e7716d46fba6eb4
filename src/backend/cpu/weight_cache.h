// Prepared copies of weights for the GEMM-shaped ops: F16/BF16 weights widened to F32 and
// convolution weights reordered into oneDNN's blocked layout, made once per weight instead of
// at every call (measured in docs/performance.md: the reorder of a 1280x1280x3x3 weight costs
// as much as the 8x8 convolution itself).
//
// Safety: an entry holds a std::weak_ptr to the weight's Storage plus its offset, shape,
// strides and dtype, so a weight freed (and its address reused) can never match a stale entry;
// a fingerprint of sampled values catches a weight rewritten in place (a wholesale rewrite,
// e.g. a test refilling a buffer; weights are otherwise treated as immutable while alive).
// Memory: entries live on the heap (not in the tensor arena) within a budget
// (AD_WEIGHT_CACHE_MB; default a quarter of physical memory; 0 disables caching). A model uses
// its weights in the same order at every step, so least-recently-used eviction would miss on
// every call once the weights outgrow the budget; instead a weight that does not fit is
// prepared for the call and not kept, and entries leave when their weight is freed (or on
// clear() / a smaller budget), so the weights that fit keep hitting.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "core/tensor.h"

namespace ad::cpu {

class WeightCache {
 public:
  struct Stats {
    size_t hits = 0, misses = 0, rejected = 0, evictions = 0, entries = 0, bytes = 0, budget = 0;
  };

  static WeightCache& instance();

  // The prepared form `variant` (e.g. the target layout) of `weight`, `bytes` long: from the
  // cache, or made by `prepare(keep)` and remembered when it fits. prepare allocates with
  // allocate(shape, dtype, keep): on the heap when the result is kept, else from the arena (a
  // freshly mapped heap block per call would page-fault its way through every call).
  Tensor get(const Tensor& weight, const std::string& variant, size_t bytes, const std::function<Tensor(bool)>& prepare);

  void clear();
  void set_budget(size_t bytes);
  Stats stats() const;

  // A contiguous tensor for a prepared weight: on the heap (outside the arena) when keep.
  static Tensor allocate(const Shape& shape, DType dtype, bool keep);

 private:
  WeightCache();
  struct Impl;
  Impl* impl_;  // never destroyed: prepared weights may be used during static destruction
};

}  // namespace ad::cpu

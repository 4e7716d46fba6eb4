#include "backend/cpu/loop_plan.h"

#include <algorithm>

#include "core/thread_pool.h"

namespace ad::cpu {

namespace {
constexpr int64_t kPiece = 16384;       // longest run handed to one kernel call (elements)
constexpr int64_t kGrainElements = 32768;  // least work per thread chunk
}  // namespace

int64_t LoopPlan::rows() const {
  int64_t r = 1;
  for (int i = 0; i + 1 < ndim; ++i) r *= shape[static_cast<size_t>(i)];
  return r;
}

LoopPlan plan_loop(std::initializer_list<const Tensor*> operands) {
  LoopPlan plan;
  plan.operands = static_cast<int>(operands.size());
  const Tensor& out = **operands.begin();
  // Dimensions of size > 1, outermost (largest output stride) first.
  std::array<int, kMaxDims> order{};
  int n = 0;
  for (int d = 0; d < out.ndim(); ++d)
    if (out.dim(d) != 1) order[static_cast<size_t>(n++)] = d;
  std::stable_sort(order.begin(), order.begin() + n, [&](int a, int b) { return out.stride(a) > out.stride(b); });
  int nd = 0;
  for (int i = 0; i < n; ++i) {
    const int d = order[static_cast<size_t>(i)];
    bool merge = nd > 0;
    if (merge) {
      const auto prev = static_cast<size_t>(nd - 1);
      int k = 0;
      for (const Tensor* t : operands) {
        if (plan.strides[static_cast<size_t>(k)][prev] != t->stride(d) * t->dim(d)) merge = false;
        ++k;
      }
    }
    const auto slot = static_cast<size_t>(merge ? nd - 1 : nd);
    plan.shape[slot] = merge ? plan.shape[slot] * out.dim(d) : out.dim(d);
    int k = 0;
    for (const Tensor* t : operands) plan.strides[static_cast<size_t>(k++)][slot] = t->stride(d);
    if (!merge) ++nd;
  }
  if (nd == 0) {  // a single element
    plan.shape[0] = 1;
    for (auto& s : plan.strides) s[0] = 1;
    nd = 1;
  }
  plan.ndim = nd;
  return plan;
}

RowCursor::RowCursor(const LoopPlan& plan, int64_t row) : plan_(plan) {
  for (int i = plan.ndim - 2; i >= 0; --i) {
    const auto d = static_cast<size_t>(i);
    index_[d] = row % plan.shape[d];
    row /= plan.shape[d];
    for (int k = 0; k < plan.operands; ++k)
      offsets_[static_cast<size_t>(k)] += index_[d] * plan.strides[static_cast<size_t>(k)][d];
  }
}

void RowCursor::next() {
  for (int i = plan_.ndim - 2; i >= 0; --i) {
    const auto d = static_cast<size_t>(i);
    for (int k = 0; k < plan_.operands; ++k) offsets_[static_cast<size_t>(k)] += plan_.strides[static_cast<size_t>(k)][d];
    if (++index_[d] < plan_.shape[d]) return;
    for (int k = 0; k < plan_.operands; ++k)
      offsets_[static_cast<size_t>(k)] -= plan_.shape[d] * plan_.strides[static_cast<size_t>(k)][d];
    index_[d] = 0;
  }
}

void parallel_rows(const LoopPlan& plan, const std::function<void(const RowCursor&, int64_t, int64_t)>& body) {
  const int64_t n = plan.row_length();
  const int64_t rows = plan.rows();
  const int64_t pieces = std::max<int64_t>(1, (n + kPiece - 1) / kPiece);
  const int64_t piece = (n + pieces - 1) / pieces;
  const int64_t grain = std::max<int64_t>(1, kGrainElements / std::max<int64_t>(piece, 1));
  ThreadPool::parallel_for(rows * pieces, grain, [&](int64_t begin, int64_t end) {
    int64_t row = begin / pieces;
    RowCursor cursor(plan, row);
    for (int64_t t = begin; t < end; ++t) {
      for (; row < t / pieces; ++row) cursor.next();
      const int64_t start = (t % pieces) * piece;
      body(cursor, start, std::min(piece, n - start));
    }
  });
}

bool has_broadcast_dim(const Tensor& t) {
  for (int i = 0; i < t.ndim(); ++i)
    if (t.stride(i) == 0 && t.dim(i) > 1) return true;
  return false;
}

}  // namespace ad::cpu

// Iteration plan for element-wise ops over a few tensors of one shape (any strides, including
// the stride-0 dimensions of broadcast inputs): dimensions are put in the output's memory order,
// size-1 dimensions dropped and neighbours merged wherever every operand allows, so that the
// innermost dimension is as long as possible. Kernels then run on rows of that dimension.
// Example: a channels-last [2, 320, 64, 64] tensor plus a per-channel [1, 320, 1, 1] vector
// becomes 8192 rows of 320 with the vector's row stride 0; in NCHW it becomes 640 rows of 4096
// with the vector's inner stride 0 (a scalar per row).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <initializer_list>

#include "core/tensor.h"

namespace ad::cpu {

struct LoopPlan {
  static constexpr int kMaxOperands = 3;
  int ndim = 1;
  int operands = 0;
  std::array<int64_t, kMaxDims> shape{};
  std::array<std::array<int64_t, kMaxDims>, kMaxOperands> strides{};

  int64_t row_length() const { return shape[static_cast<size_t>(ndim - 1)]; }
  int64_t rows() const;
  int64_t inner_stride(int operand) const {
    return strides[static_cast<size_t>(operand)][static_cast<size_t>(ndim - 1)];
  }
};

// operands[0] is the output (its stride order decides the loop order); all share its shape.
LoopPlan plan_loop(std::initializer_list<const Tensor*> operands);

// Element offsets of each operand at the start of a row; next() moves to the following row.
class RowCursor {
 public:
  RowCursor(const LoopPlan& plan, int64_t row);
  void next();
  int64_t offset(int operand) const { return offsets_[static_cast<size_t>(operand)]; }

 private:
  const LoopPlan& plan_;
  std::array<int64_t, kMaxDims> index_{};
  std::array<int64_t, LoopPlan::kMaxOperands> offsets_{};
};

// Runs body(cursor, start, length) over the plan's rows in parallel; rows longer than a piece
// are split so that a single long row (a dense tensor) still spreads over the threads.
void parallel_rows(const LoopPlan& plan, const std::function<void(const RowCursor&, int64_t, int64_t)>& body);

// True when some dimension of size > 1 has stride 0 (a broadcast view, not writable).
bool has_broadcast_dim(const Tensor& t);

}  // namespace ad::cpu

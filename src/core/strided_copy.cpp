#include "core/strided_copy.h"

#include <cstring>
#include <vector>

#include "core/tensor.h"
#include "core/thread_pool.h"

namespace ad {

namespace {

// Merges adjacent dimensions that are contiguous in both tensors, drops size-1 dimensions,
// so that the innermost loop is as long as possible.
struct CopyPlan {
  std::vector<int64_t> shape, src_strides, dst_strides;
};

CopyPlan plan_copy(const Tensor& src, const Tensor& dst) {
  CopyPlan plan;
  for (int i = 0; i < src.ndim(); ++i) {
    if (src.dim(i) == 1) continue;
    if (!plan.shape.empty() && plan.src_strides.back() == src.stride(i) * src.dim(i) &&
        plan.dst_strides.back() == dst.stride(i) * dst.dim(i)) {
      plan.shape.back() *= src.dim(i);
      plan.src_strides.back() = src.stride(i);
      plan.dst_strides.back() = dst.stride(i);
      continue;
    }
    plan.shape.push_back(src.dim(i));
    plan.src_strides.push_back(src.stride(i));
    plan.dst_strides.push_back(dst.stride(i));
  }
  if (plan.shape.empty()) {
    plan.shape.push_back(1);
    plan.src_strides.push_back(1);
    plan.dst_strides.push_back(1);
  }
  return plan;
}

template <typename To, typename From>
void copy_rows(const CopyPlan& plan, const From* src, To* dst) {
  const int n = static_cast<int>(plan.shape.size());
  const int64_t inner = plan.shape[static_cast<size_t>(n - 1)];
  const int64_t s_in = plan.src_strides[static_cast<size_t>(n - 1)];
  const int64_t d_in = plan.dst_strides[static_cast<size_t>(n - 1)];
  int64_t outer = 1;
  for (int i = 0; i + 1 < n; ++i) outer *= plan.shape[static_cast<size_t>(i)];
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(inner, 1));
  ThreadPool::parallel_for(outer, grain, [&](int64_t begin, int64_t end) {
    for (int64_t row = begin; row < end; ++row) {
      int64_t rest = row;
      int64_t s_off = 0;
      int64_t d_off = 0;
      for (int i = n - 2; i >= 0; --i) {
        const int64_t idx = rest % plan.shape[static_cast<size_t>(i)];
        rest /= plan.shape[static_cast<size_t>(i)];
        s_off += idx * plan.src_strides[static_cast<size_t>(i)];
        d_off += idx * plan.dst_strides[static_cast<size_t>(i)];
      }
      const From* s = src + s_off;
      To* d = dst + d_off;
      if constexpr (std::is_same_v<To, From>) {
        if (s_in == 1 && d_in == 1) {
          std::memcpy(d, s, static_cast<size_t>(inner) * sizeof(To));
          continue;
        }
      }
      for (int64_t j = 0; j < inner; ++j) d[j * d_in] = convert_value<To>(s[j * s_in]);
    }
  });
}

}  // namespace

void strided_copy(const Tensor& source, Tensor& destination) {
  if (source.numel() == 0) return;
  const CopyPlan plan = plan_copy(source, destination);
  dispatch_dtype(source.dtype(), [&]<typename From>() {
    dispatch_dtype(destination.dtype(), [&]<typename To>() {
      copy_rows<To, From>(plan, static_cast<const From*>(source.raw_data()), static_cast<To*>(destination.raw_data()));
    });
  });
}

double load_as_double(const std::byte* base, int64_t element, DType dtype) {
  return dispatch_dtype(dtype, [&]<typename T>() {
    T value;
    std::memcpy(&value, base + element * static_cast<int64_t>(sizeof(T)), sizeof(T));
    return to_double(value);
  });
}

}  // namespace ad

#include "core/shape.h"

#include "core/error.h"

namespace ad {

Dims::Dims(std::initializer_list<int64_t> values) : Dims(std::span<const int64_t>(values.begin(), values.size())) {}

Dims::Dims(std::span<const int64_t> values) {
  AD_CHECK(values.size() <= kMaxDims, "a tensor may have at most {} dimensions, got {}", kMaxDims, values.size());
  std::copy(values.begin(), values.end(), values_.begin());
  size_ = static_cast<int>(values.size());
}

void Dims::push_back(int64_t value) {
  AD_CHECK(size_ < kMaxDims, "a tensor may have at most {} dimensions", kMaxDims);
  values_[static_cast<size_t>(size_++)] = value;
}

void Dims::insert(int index, int64_t value) {
  AD_CHECK(size_ < kMaxDims, "a tensor may have at most {} dimensions", kMaxDims);
  for (int i = size_; i > index; --i) values_[static_cast<size_t>(i)] = values_[static_cast<size_t>(i - 1)];
  values_[static_cast<size_t>(index)] = value;
  ++size_;
}

void Dims::erase(int index) {
  for (int i = index; i + 1 < size_; ++i) values_[static_cast<size_t>(i)] = values_[static_cast<size_t>(i + 1)];
  --size_;
}

void Dims::resize(int size, int64_t fill) {
  AD_CHECK(size >= 0 && size <= kMaxDims, "a tensor may have at most {} dimensions", kMaxDims);
  for (int i = size_; i < size; ++i) values_[static_cast<size_t>(i)] = fill;
  size_ = size;
}

int64_t Dims::product() const {
  int64_t p = 1;
  for (int64_t v : *this) p *= v;
  return p;
}

std::string Dims::to_string() const {
  std::string s = "[";
  for (int i = 0; i < size_; ++i) {
    if (i) s += ", ";
    s += std::to_string(values_[static_cast<size_t>(i)]);
  }
  return s + "]";
}

Strides contiguous_strides(const Shape& shape) {
  Strides strides;
  strides.resize(shape.size());
  int64_t stride = 1;
  for (int i = shape.size() - 1; i >= 0; --i) {
    strides[i] = stride;
    stride *= std::max<int64_t>(shape[i], 1);
  }
  return strides;
}

std::vector<int> stride_order(const Strides& strides) {
  std::vector<int> order(static_cast<size_t>(strides.size()));
  for (int i = 0; i < strides.size(); ++i) order[static_cast<size_t>(i)] = i;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return strides[a] > strides[b]; });
  return order;
}

Strides dense_strides(const Shape& shape, std::span<const int> order) {
  Strides strides;
  strides.resize(shape.size());
  int64_t stride = 1;
  for (size_t i = order.size(); i-- > 0;) {
    strides[order[i]] = stride;
    stride *= std::max<int64_t>(shape[order[i]], 1);
  }
  return strides;
}

}  // namespace ad

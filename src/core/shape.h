// Shape and strides: a small inline vector of up to kMaxDims int64 values.
// Convention (docs/architecture.md): row-major, images NCHW, video N,C,F,H,W (as the fixtures);
// strides are in elements, so "channels-last" is an NCHW shape with NHWC strides.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <vector>

namespace ad {

inline constexpr int kMaxDims = 8;

class Dims {
 public:
  Dims() = default;
  Dims(std::initializer_list<int64_t> values);
  explicit Dims(std::span<const int64_t> values);

  int size() const { return size_; }
  bool empty() const { return size_ == 0; }
  int64_t operator[](int i) const { return values_[static_cast<size_t>(i)]; }
  int64_t& operator[](int i) { return values_[static_cast<size_t>(i)]; }
  int64_t back() const { return values_[static_cast<size_t>(size_ - 1)]; }
  const int64_t* begin() const { return values_.data(); }
  const int64_t* end() const { return values_.data() + size_; }
  int64_t* begin() { return values_.data(); }
  int64_t* end() { return values_.data() + size_; }
  std::span<const int64_t> span() const { return {values_.data(), static_cast<size_t>(size_)}; }

  void push_back(int64_t value);
  void insert(int index, int64_t value);
  void erase(int index);
  void resize(int size, int64_t fill = 0);

  int64_t product() const;  // 1 for a scalar
  std::string to_string() const;  // "[2, 77, 32]"

  friend bool operator==(const Dims& a, const Dims& b) {
    return a.size_ == b.size_ && std::equal(a.begin(), a.end(), b.begin());
  }

 private:
  std::array<int64_t, kMaxDims> values_{};
  int size_ = 0;
};

using Shape = Dims;
using Strides = Dims;

// Row-major (contiguous) strides of a shape.
Strides contiguous_strides(const Shape& shape);

// Dimension indices from the largest stride to the smallest (ties keep index order).
std::vector<int> stride_order(const Strides& strides);
// Dense strides for `shape` with the dimensions laid out in `order` (outermost first).
Strides dense_strides(const Shape& shape, std::span<const int> order);

}  // namespace ad

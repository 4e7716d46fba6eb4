// Tensor: dtype + shape + strides (in elements) + offset into a shared storage.
// Views (slice, permute, reshape of contiguous data, expand) share the storage and never copy;
// kernels either handle arbitrary strides or call contiguous() explicitly.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <type_traits>

#include "core/dtype.h"
#include "core/error.h"
#include "core/shape.h"
#include "core/storage.h"

namespace ad {

template <typename T>
constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::F32; }
template <> constexpr DType dtype_of<double>() { return DType::F64; }
template <> constexpr DType dtype_of<int64_t>() { return DType::I64; }
template <> constexpr DType dtype_of<int32_t>() { return DType::I32; }
template <> constexpr DType dtype_of<uint8_t>() { return DType::U8; }

class Tensor {
 public:
  Tensor() = default;
  Tensor(StoragePtr storage, int64_t offset, Shape shape, Strides strides, DType dtype);

  // A new contiguous tensor from the current arena; contents undefined / zero / copied.
  static Tensor empty(const Shape& shape, DType dtype = DType::F32);
  static Tensor zeros(const Shape& shape, DType dtype = DType::F32);
  static Tensor full(const Shape& shape, float value);
  // A heap-backed tensor that holds a copy of `values` (tests, small constants).
  template <typename T>
  static Tensor from_vector(const Shape& shape, std::span<const T> values);
  // A tensor with the given shape and strides (e.g. channels-last), covering its extent.
  static Tensor empty_strided(const Shape& shape, const Strides& strides, DType dtype = DType::F32);
  // An empty tensor in the same memory format (dimension order) as `like`.
  static Tensor empty_like(const Tensor& like, DType dtype);
  static Tensor empty_like(const Tensor& like) { return empty_like(like, like.dtype()); }

  bool defined() const { return storage_ != nullptr; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  const Strides& strides() const { return strides_; }
  int ndim() const { return shape_.size(); }
  int64_t dim(int i) const { return shape_[normalize_dim(i)]; }
  int64_t stride(int i) const { return strides_[normalize_dim(i)]; }
  int64_t numel() const { return shape_.product(); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }
  int64_t offset() const { return offset_; }
  const StoragePtr& storage() const { return storage_; }
  Device device() const { return storage_ ? storage_->device : Device::CPU; }

  bool is_contiguous() const;
  // True when the elements are dense in memory in the order given by sorting strides
  // (contiguous or a permutation of contiguous, e.g. channels-last).
  bool is_dense() const;
  bool same_layout(const Tensor& other) const { return shape_ == other.shape_ && strides_ == other.strides_; }

  void* raw_data() const { return storage_->data + offset_ * static_cast<int64_t>(dtype_size(dtype_)); }
  template <typename T>
  T* data() const {
    AD_CHECK(dtype_ == dtype_of<T>(), "tensor {} accessed as {}", describe(), dtype_name(dtype_of<T>()));
    return static_cast<T*>(raw_data());
  }

  // Views.
  Tensor view(const Shape& shape) const;           // requires contiguous; one dim may be -1
  Tensor reshape(const Shape& shape) const;        // a view when possible, else a contiguous copy
  Tensor permute(std::span<const int> order) const;
  Tensor permute(std::initializer_list<int> order) const { return permute(std::span<const int>(order.begin(), order.size())); }
  Tensor transpose(int a, int b) const;
  Tensor slice(int dim, int64_t start, int64_t end, int64_t step = 1) const;
  Tensor select(int dim, int64_t index) const;     // drops the dimension
  Tensor unsqueeze(int dim) const;
  Tensor squeeze(int dim) const;
  Tensor expand(const Shape& shape) const;         // broadcast with stride 0
  Tensor flatten(int start_dim, int end_dim) const;

  // Copies.
  Tensor contiguous() const;  // itself when already contiguous
  Tensor clone() const;
  Tensor to(DType dtype) const;  // itself when already of that dtype
  void copy_from(const Tensor& source);  // same shape; any strides and dtypes

  // Element access for tests and small host-side code (slow).
  double item(std::span<const int64_t> index) const;
  double item() const;  // a one-element tensor
  std::string describe() const;  // "F32[2, 77, 32]"

 private:
  int normalize_dim(int i) const;

  StoragePtr storage_;
  int64_t offset_ = 0;
  Shape shape_;
  Strides strides_;
  DType dtype_ = DType::F32;
};

template <typename T>
Tensor Tensor::from_vector(const Shape& shape, std::span<const T> values) {
  AD_CHECK(static_cast<int64_t>(values.size()) == shape.product(), "from_vector: {} values for shape {}",
           values.size(), shape.to_string());
  auto storage = make_heap_storage(values.size() * sizeof(T));
  std::memcpy(storage->data, values.data(), values.size() * sizeof(T));
  return Tensor(std::move(storage), 0, shape, contiguous_strides(shape), dtype_of<T>());
}

}  // namespace ad

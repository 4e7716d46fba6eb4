#include "core/tensor.h"

#include <algorithm>
#include <numeric>
#include <vector>

#include "core/arena.h"
#include "core/strided_copy.h"

namespace ad {

Tensor::Tensor(StoragePtr storage, int64_t offset, Shape shape, Strides strides, DType dtype)
    : storage_(std::move(storage)), offset_(offset), shape_(shape), strides_(strides), dtype_(dtype) {
  AD_CHECK(shape_.size() == strides_.size(), "tensor shape {} and strides {} differ in rank", shape_.to_string(),
           strides_.to_string());
}

Tensor Tensor::empty(const Shape& shape, DType dtype) {
  for (int64_t d : shape) AD_CHECK(d >= 0, "negative dimension in shape {}", shape.to_string());
  auto storage = Arena::current().allocate(static_cast<size_t>(shape.product()) * dtype_size(dtype));
  return Tensor(std::move(storage), 0, shape, contiguous_strides(shape), dtype);
}

Tensor Tensor::zeros(const Shape& shape, DType dtype) {
  Tensor t = empty(shape, dtype);
  std::memset(t.raw_data(), 0, t.nbytes());
  return t;
}

Tensor Tensor::full(const Shape& shape, float value) {
  Tensor t = empty(shape, DType::F32);
  std::fill_n(t.data<float>(), t.numel(), value);
  return t;
}

Tensor Tensor::empty_strided(const Shape& shape, const Strides& strides, DType dtype) {
  AD_CHECK(shape.size() == strides.size(), "empty_strided: shape {} vs strides {}", shape.to_string(), strides.to_string());
  int64_t extent = 1;
  for (int i = 0; i < shape.size(); ++i) {
    AD_CHECK(shape[i] >= 0 && strides[i] >= 0, "empty_strided: bad shape {} / strides {}", shape.to_string(), strides.to_string());
    if (shape[i] == 0) extent = 0;
    if (extent) extent += (shape[i] - 1) * strides[i];
  }
  auto storage = Arena::current().allocate(static_cast<size_t>(extent) * dtype_size(dtype));
  return Tensor(std::move(storage), 0, shape, strides, dtype);
}

Tensor Tensor::empty_like(const Tensor& like, DType dtype) {
  if (like.is_dense() && !like.is_contiguous())  // same dimension order as `like`, dense
    return empty_strided(like.shape_, dense_strides(like.shape_, stride_order(like.strides_)), dtype);
  return empty(like.shape_, dtype);
}

int Tensor::normalize_dim(int i) const {
  const int n = shape_.size();
  const int d = i < 0 ? i + n : i;
  AD_CHECK(d >= 0 && d < n, "dimension {} out of range for tensor {}", i, describe());
  return d;
}

bool Tensor::is_contiguous() const {
  int64_t expected = 1;
  for (int i = ndim() - 1; i >= 0; --i) {
    if (shape_[i] == 1) continue;
    if (strides_[i] != expected) return false;
    expected *= shape_[i];
  }
  return true;
}

bool Tensor::is_dense() const {
  std::vector<int> order(static_cast<size_t>(ndim()));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return strides_[a] < strides_[b]; });
  int64_t expected = 1;
  for (int i : order) {
    if (shape_[i] == 1) continue;
    if (strides_[i] != expected) return false;
    expected *= shape_[i];
  }
  return true;
}

Tensor Tensor::view(const Shape& shape) const {
  AD_CHECK(is_contiguous(), "view {} of a non-contiguous tensor {}", shape.to_string(), describe());
  Shape resolved = shape;
  int infer = -1;
  int64_t known = 1;
  for (int i = 0; i < resolved.size(); ++i) {
    if (resolved[i] == -1) {
      AD_CHECK(infer < 0, "view {}: more than one -1", shape.to_string());
      infer = i;
    } else {
      known *= resolved[i];
    }
  }
  if (infer >= 0) {
    AD_CHECK(known > 0 && numel() % known == 0, "cannot view {} as {}", describe(), shape.to_string());
    resolved[infer] = numel() / known;
  }
  AD_CHECK(resolved.product() == numel(), "cannot view {} as {}", describe(), shape.to_string());
  return Tensor(storage_, offset_, resolved, contiguous_strides(resolved), dtype_);
}

Tensor Tensor::reshape(const Shape& shape) const {
  if (is_contiguous()) return view(shape);
  return contiguous().view(shape);
}

Tensor Tensor::permute(std::span<const int> order) const {
  AD_CHECK(static_cast<int>(order.size()) == ndim(), "permute of {} needs {} dimensions", describe(), ndim());
  Shape shape;
  Strides strides;
  std::vector<bool> seen(static_cast<size_t>(ndim()), false);
  for (int o : order) {
    const int d = normalize_dim(o);
    AD_CHECK(!seen[static_cast<size_t>(d)], "permute: dimension {} repeated", d);
    seen[static_cast<size_t>(d)] = true;
    shape.push_back(shape_[d]);
    strides.push_back(strides_[d]);
  }
  return Tensor(storage_, offset_, shape, strides, dtype_);
}

Tensor Tensor::transpose(int a, int b) const {
  Tensor t = *this;
  const int da = normalize_dim(a);
  const int db = normalize_dim(b);
  std::swap(t.shape_[da], t.shape_[db]);
  std::swap(t.strides_[da], t.strides_[db]);
  return t;
}

Tensor Tensor::slice(int dim, int64_t start, int64_t end, int64_t step) const {
  const int d = normalize_dim(dim);
  const int64_t size = shape_[d];
  if (start < 0) start += size;
  if (end < 0) end += size;
  start = std::clamp<int64_t>(start, 0, size);
  end = std::clamp<int64_t>(end, start, size);
  AD_CHECK(step > 0, "slice step must be positive");
  Tensor t = *this;
  t.offset_ += start * strides_[d];
  t.shape_[d] = (end - start + step - 1) / step;
  t.strides_[d] *= step;
  return t;
}

Tensor Tensor::select(int dim, int64_t index) const {
  const int d = normalize_dim(dim);
  if (index < 0) index += shape_[d];
  AD_CHECK(index >= 0 && index < shape_[d], "index {} out of range for dimension {} of {}", index, dim, describe());
  Tensor t = *this;
  t.offset_ += index * strides_[d];
  t.shape_.erase(d);
  t.strides_.erase(d);
  return t;
}

Tensor Tensor::unsqueeze(int dim) const {
  const int d = dim < 0 ? dim + ndim() + 1 : dim;
  AD_CHECK(d >= 0 && d <= ndim(), "unsqueeze({}) of {}", dim, describe());
  Tensor t = *this;
  const int64_t stride = d < ndim() ? strides_[d] * shape_[d] : 1;
  t.shape_.insert(d, 1);
  t.strides_.insert(d, stride);
  return t;
}

Tensor Tensor::squeeze(int dim) const {
  const int d = normalize_dim(dim);
  AD_CHECK(shape_[d] == 1, "squeeze({}) of {}: dimension is not 1", dim, describe());
  Tensor t = *this;
  t.shape_.erase(d);
  t.strides_.erase(d);
  return t;
}

Tensor Tensor::expand(const Shape& shape) const {
  AD_CHECK(shape.size() >= ndim(), "cannot expand {} to {}", describe(), shape.to_string());
  Tensor t = *this;
  const int lead = shape.size() - ndim();
  Shape new_shape;
  Strides new_strides;
  for (int i = 0; i < shape.size(); ++i) {
    if (i < lead) {
      new_shape.push_back(shape[i]);
      new_strides.push_back(0);
      continue;
    }
    const int64_t own = shape_[i - lead];
    const int64_t want = shape[i] == -1 ? own : shape[i];
    AD_CHECK(own == want || own == 1, "cannot expand {} to {}", describe(), shape.to_string());
    new_shape.push_back(want);
    new_strides.push_back(own == want ? strides_[i - lead] : 0);
  }
  t.shape_ = new_shape;
  t.strides_ = new_strides;
  return t;
}

Tensor Tensor::flatten(int start_dim, int end_dim) const {
  const int s = normalize_dim(start_dim);
  const int e = normalize_dim(end_dim);
  Shape shape;
  for (int i = 0; i < s; ++i) shape.push_back(shape_[i]);
  int64_t merged = 1;
  for (int i = s; i <= e; ++i) merged *= shape_[i];
  shape.push_back(merged);
  for (int i = e + 1; i < ndim(); ++i) shape.push_back(shape_[i]);
  // A view when the merged dimensions are contiguous among themselves.
  bool mergeable = true;
  for (int i = s; i < e; ++i)
    if (shape_[i + 1] != 1 && strides_[i] != strides_[i + 1] * shape_[i + 1] && shape_[i] != 1) mergeable = false;
  if (!mergeable) return contiguous().flatten(start_dim, end_dim);
  Strides strides;
  for (int i = 0; i < s; ++i) strides.push_back(strides_[i]);
  int64_t inner = strides_[e];  // all merged dimensions of size 1: any stride addresses them
  for (int i = e; i >= s; --i)
    if (shape_[i] != 1) {
      inner = strides_[i];
      break;
    }
  strides.push_back(inner);
  for (int i = e + 1; i < ndim(); ++i) strides.push_back(strides_[i]);
  return Tensor(storage_, offset_, shape, strides, dtype_);
}

Tensor Tensor::contiguous() const {
  if (is_contiguous()) return *this;
  Tensor out = empty(shape_, dtype_);
  out.copy_from(*this);
  return out;
}

Tensor Tensor::clone() const {
  Tensor out = empty(shape_, dtype_);
  out.copy_from(*this);
  return out;
}

Tensor Tensor::to(DType dtype) const {
  if (dtype == dtype_) return *this;
  Tensor out = empty(shape_, dtype);
  out.copy_from(*this);
  return out;
}

void Tensor::copy_from(const Tensor& source) {
  AD_CHECK(source.shape_ == shape_, "copy of {} into {}: shapes differ", source.describe(), describe());
  strided_copy(source, *this);
}

double Tensor::item(std::span<const int64_t> index) const {
  AD_CHECK(static_cast<int>(index.size()) == ndim(), "item: {} indices for {}", index.size(), describe());
  int64_t element = offset_;
  for (int i = 0; i < ndim(); ++i) {
    AD_CHECK(index[static_cast<size_t>(i)] >= 0 && index[static_cast<size_t>(i)] < shape_[i], "item: index out of range for {}", describe());
    element += index[static_cast<size_t>(i)] * strides_[i];
  }
  return load_as_double(storage_->data, element, dtype_);
}

double Tensor::item() const {
  AD_CHECK(numel() == 1, "item() of {} which has {} elements", describe(), numel());
  return load_as_double(storage_->data, offset_, dtype_);
}

std::string Tensor::describe() const { return std::string(dtype_name(dtype_)) + shape_.to_string(); }

}  // namespace ad

#include "nn/weights.h"

#include <fmt/ranges.h>

#include <algorithm>

namespace ad::nn {

namespace {

Shape transformed_shape(const WeightSource& source, Shape shape) {
  switch (source.transform) {
    case WeightTransform::None:
    case WeightTransform::SwapHalves: return shape;
    case WeightTransform::Chunk: shape[0] /= source.parts; return shape;
    case WeightTransform::Transpose:
      if (shape.size() == 2) std::swap(shape[0], shape[1]);
      return shape;
  }
  return shape;
}

}  // namespace

void WeightMap::add(const std::string& canonical, WeightSource source) {
  if (std::find(files_.begin(), files_.end(), source.file->path()) == files_.end()) files_.push_back(source.file->path());
  auto [it, inserted] = entries_.emplace(canonical, std::move(source));
  AD_CHECK(inserted, "{}: tensors '{}' and '{}' both map to '{}'", it->second.file->path(), it->second.name, source.name,
           canonical);
}

void WeightMap::add_unexpected(const std::shared_ptr<io::TensorFile>& file, const std::string& name) {
  unexpected_.push_back(fmt::format("{}: unexpected tensor '{}'", file->path(), name));
}

Tensor WeightMap::load(const std::string& canonical) const {
  auto it = entries_.find(canonical);
  AD_CHECK(it != entries_.end(), "no tensor for '{}'", canonical);
  const WeightSource& source = it->second;
  Tensor t = source.file->load(source.name);
  switch (source.transform) {
    case WeightTransform::None: return t;
    case WeightTransform::Chunk: {
      AD_CHECK(t.ndim() >= 1 && t.dim(0) % source.parts == 0, "{}: tensor '{}' {} cannot be split in {} along dim 0",
               source.file->path(), source.name, t.describe(), source.parts);
      const int64_t size = t.dim(0) / source.parts;
      return t.slice(0, source.part * size, (source.part + 1) * size);
    }
    case WeightTransform::SwapHalves: {
      AD_CHECK(t.ndim() >= 1 && t.dim(0) % 2 == 0, "{}: tensor '{}' {} has no two halves", source.file->path(),
               source.name, t.describe());
      const int64_t half = t.dim(0) / 2;
      Tensor out = Tensor::empty(t.shape(), t.dtype());
      out.slice(0, 0, half).copy_from(t.slice(0, half, 2 * half));
      out.slice(0, half, 2 * half).copy_from(t.slice(0, 0, half));
      return out;
    }
    case WeightTransform::Transpose: {
      AD_CHECK(t.ndim() == 2, "{}: tensor '{}' {} is not a matrix to transpose", source.file->path(), source.name,
               t.describe());
      return t.transpose(0, 1).contiguous();
    }
  }
  return t;
}

Shape WeightMap::shape(const std::string& canonical) const {
  auto it = entries_.find(canonical);
  AD_CHECK(it != entries_.end(), "no tensor for '{}'", canonical);
  const io::TensorInfo* info = it->second.file->find(it->second.name);
  AD_CHECK(info != nullptr, "{}: no tensor named '{}'", it->second.file->path(), it->second.name);
  return transformed_shape(it->second, info->shape);
}

DType WeightMap::dtype(const std::string& canonical) const {
  auto it = entries_.find(canonical);
  AD_CHECK(it != entries_.end(), "no tensor for '{}'", canonical);
  const io::TensorInfo* info = it->second.file->find(it->second.name);
  AD_CHECK(info != nullptr, "{}: no tensor named '{}'", it->second.file->path(), it->second.name);
  return info->dtype;
}

std::string WeightMap::where(const std::string& canonical) const {
  auto it = entries_.find(canonical);
  if (it == entries_.end()) return fmt::format("'{}'", canonical);
  return fmt::format("{}: tensor '{}'", it->second.file->path(), it->second.name);
}

std::vector<std::string> WeightMap::names() const {
  std::vector<std::string> out;
  for (const auto& [name, source] : entries_) out.push_back(name);
  return out;
}

std::vector<std::string> WeightMap::names_with_prefix(std::string_view prefix) const {
  std::vector<std::string> out;
  for (auto it = entries_.lower_bound(std::string(prefix)); it != entries_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    out.push_back(it->first);
  }
  return out;
}

std::string WeightMap::files() const {
  if (files_.empty()) return "(no weights)";
  return fmt::format("{}", fmt::join(files_, ", "));
}

void WeightMap::check_all_used(std::string_view model) const {
  if (!unexpected_.empty())
    fail("{} (the {} loader does not know it; is this the right kind of checkpoint?)", unexpected_.front(), model);
  for (const auto& [name, source] : entries_)
    if (!used_.count(name))
      fail("{}: unexpected tensor '{}' (the {} has no such weight; is this the right kind of checkpoint?)",
           source.file->path(), source.name, model);
}

Tensor Binder::get(std::string_view name, const Shape& expected) const {
  const std::string key = full(name);
  AD_CHECK(map_->contains(key), "{}: missing tensor '{}'", map_->files(), key);
  const Shape actual = map_->shape(key);
  bool ok = actual.size() == expected.size();
  for (int i = 0; ok && i < actual.size(); ++i) ok = expected[i] == -1 || expected[i] == actual[i];
  AD_CHECK(ok, "{} has wrong shape; expected {}, got {}", map_->where(key), expected.to_string(), actual.to_string());
  map_->mark_used(key);
  return map_->load(key);
}

Tensor Binder::get_optional(std::string_view name, const Shape& expected) const {
  return has(name) ? get(name, expected) : Tensor();
}

int Binder::count(std::string_view name) const {
  int n = 0;
  while (has_prefix(std::string(name) + "." + std::to_string(n) + ".")) ++n;
  return n;
}

Shape Binder::shape(std::string_view name) const {
  const std::string key = full(name);
  AD_CHECK(map_->contains(key), "{}: missing tensor '{}'", map_->files(), key);
  return map_->shape(key);
}

}  // namespace ad::nn

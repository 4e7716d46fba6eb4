// Weight binding. A key map (one per model and checkpoint format, models/*/keys_*.cpp) turns the
// names found in a file into the canonical names of our module tree; modules then take their
// tensors from a Binder by canonical name with the expected shape, so that a missing tensor, a
// wrong shape or a tensor nobody used is an error that names the file and the tensor.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/tensor.h"
#include "io/tensor_file.h"

namespace ad::nn {

// How a canonical tensor is derived from the stored one (constant rewrites live in key maps).
enum class WeightTransform : uint8_t {
  None,
  Chunk,           // part `part` of `parts` equal pieces along dim 0 (fused qkv)
  SwapHalves,      // the two halves along dim 0 exchanged
  Transpose,       // a 2-D [a, b] tensor stored as [b, a] (OpenCLIP's x @ P projections)
};

struct WeightSource {
  std::shared_ptr<io::TensorFile> file;
  std::string name;  // the name in the file
  WeightTransform transform = WeightTransform::None;
  int part = 0;
  int parts = 1;
};

class WeightMap {
 public:
  void add(const std::string& canonical, WeightSource source);
  // Adds every tensor of `file` whose name starts with `prefix`, renamed by `rename` (which
  // returns nullopt for a name it does not know: that is recorded as unexpected).
  template <typename Rename>
  void add_file(const std::shared_ptr<io::TensorFile>& file, std::string_view prefix, Rename&& rename);
  // Adds an unexpected name (reported by check_all_used).
  void add_unexpected(const std::shared_ptr<io::TensorFile>& file, const std::string& name);

  bool contains(const std::string& canonical) const { return entries_.count(canonical) != 0; }
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  Tensor load(const std::string& canonical) const;
  Shape shape(const std::string& canonical) const;
  DType dtype(const std::string& canonical) const;
  // "file.safetensors: tensor 'model.diffusion_model.x'" for error messages.
  std::string where(const std::string& canonical) const;
  std::vector<std::string> names() const;
  // The files the weights come from, for messages ("a.safetensors, b.ckpt").
  std::string files() const;
  // Canonical names below `prefix` (e.g. "down_blocks.0.resnets.").
  std::vector<std::string> names_with_prefix(std::string_view prefix) const;

  void mark_used(const std::string& canonical) const { used_.insert(canonical); }
  // Throws when a tensor of the file was not consumed by the model or could not be mapped.
  void check_all_used(std::string_view model) const;

 private:
  std::map<std::string, WeightSource> entries_;
  std::vector<std::string> files_;
  std::vector<std::string> unexpected_;
  mutable std::set<std::string> used_;
};

class Binder {
 public:
  explicit Binder(const WeightMap& map, std::string prefix = "") : map_(&map), prefix_(std::move(prefix)) {}

  Binder sub(std::string_view name) const { return Binder(*map_, prefix_ + std::string(name) + "."); }
  template <typename... Parts>
  Binder sub(std::string_view first, Parts&&... rest) const {
    return sub(first).sub(std::forward<Parts>(rest)...);
  }
  Binder sub(std::string_view name, int index) const { return sub(std::string(name) + "." + std::to_string(index)); }

  // The tensor with the expected shape (-1 in `expected` matches any size).
  Tensor get(std::string_view name, const Shape& expected) const;
  // Undefined tensor when absent; shape checked when present.
  Tensor get_optional(std::string_view name, const Shape& expected) const;
  bool has(std::string_view name) const { return map_->contains(full(name)); }
  // True when any tensor lives below this binder's prefix + name.
  bool has_prefix(std::string_view name) const { return !map_->names_with_prefix(full(name)).empty(); }
  // Number of consecutive children name.0., name.1., ... below this binder.
  int count(std::string_view name) const;
  // Shape of a stored tensor (for deriving configuration from weights); error when absent.
  Shape shape(std::string_view name) const;
  std::string full(std::string_view name) const { return prefix_ + std::string(name); }
  const WeightMap& map() const { return *map_; }
  const std::string& prefix() const { return prefix_; }

 private:
  const WeightMap* map_;
  std::string prefix_;
};

template <typename Rename>
void WeightMap::add_file(const std::shared_ptr<io::TensorFile>& file, std::string_view prefix, Rename&& rename) {
  for (const auto& info : file->tensors()) {
    if (info.name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string local = info.name.substr(prefix.size());
    std::optional<std::string> canonical = rename(local);
    if (!canonical) {
      add_unexpected(file, info.name);
      continue;
    }
    add(*canonical, WeightSource{file, info.name});
  }
}

}  // namespace ad::nn

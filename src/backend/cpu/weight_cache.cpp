#include "backend/cpu/weight_cache.h"

#include <cstdlib>
#include <cstring>
#include <list>
#include <memory>
#include <mutex>
#include <unordered_map>

#include <unistd.h>

namespace ad::cpu {

namespace {

// 16 values spread over the weight, and its first and last element, as raw bytes.
uint64_t fingerprint(const Tensor& t) {
  uint64_t h = 1469598103934665603ull;  // FNV-1a
  const int64_t n = t.numel();
  if (n == 0) return h;
  const size_t elem = dtype_size(t.dtype());
  auto mix = [&](int64_t linear) {
    int64_t offset = t.offset();
    for (int d = t.ndim() - 1; d >= 0; --d) {
      offset += (linear % t.dim(d)) * t.stride(d);
      linear /= t.dim(d);
    }
    const auto* p = t.storage()->data + offset * static_cast<int64_t>(elem);
    for (size_t i = 0; i < elem; ++i) h = (h ^ static_cast<uint8_t>(p[i])) * 1099511628211ull;
  };
  for (int64_t i = 0; i < 16; ++i) mix(n * i / 16);
  mix(n - 1);
  return h;
}

std::string make_key(const Tensor& w, const std::string& variant) {
  std::string key = std::to_string(reinterpret_cast<uintptr_t>(w.storage().get())) + "/" +
                    std::to_string(w.offset()) + "/" + std::string(dtype_name(w.dtype())) + w.shape().to_string() +
                    w.strides().to_string() + "/" + variant;
  return key;
}

size_t budget_from_environment() {
  if (const char* env = std::getenv("AD_WEIGHT_CACHE_MB")) return static_cast<size_t>(std::strtoull(env, nullptr, 10)) << 20;
  const long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || page <= 0) return size_t{4096} << 20;
  return static_cast<size_t>(pages) * static_cast<size_t>(page) / 4;
}

}  // namespace

struct WeightCache::Impl {
  struct Entry {
    std::string key;
    std::weak_ptr<Storage> storage;
    uint64_t fingerprint = 0;
    Tensor prepared;
    size_t bytes = 0;
  };
  mutable std::mutex mutex;
  std::list<Entry> lru;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> index;
  Stats stats;

  void erase(std::list<Entry>::iterator it) {
    stats.bytes -= it->bytes;
    index.erase(it->key);
    lru.erase(it);
  }
  void drop_expired() {
    for (auto it = lru.begin(); it != lru.end();) {
      auto next = std::next(it);
      if (it->storage.expired()) erase(it);
      it = next;
    }
  }
  // Used when the budget shrinks: least recently used first.
  void evict_to(size_t budget) {
    drop_expired();
    while (stats.bytes > budget && !lru.empty()) {
      erase(std::prev(lru.end()));
      ++stats.evictions;
    }
  }
};

WeightCache::WeightCache() : impl_(new Impl) { impl_->stats.budget = budget_from_environment(); }

WeightCache& WeightCache::instance() {
  static WeightCache* cache = new WeightCache();
  return *cache;
}

Tensor WeightCache::allocate(const Shape& shape, DType dtype, bool keep) {
  if (!keep) return Tensor::empty(shape, dtype);
  auto storage = make_heap_storage(static_cast<size_t>(shape.product()) * dtype_size(dtype));
  return Tensor(std::move(storage), 0, shape, contiguous_strides(shape), dtype);
}

Tensor WeightCache::get(const Tensor& weight, const std::string& variant, size_t bytes,
                        const std::function<Tensor(bool)>& prepare) {
  std::lock_guard lock(impl_->mutex);
  Stats& stats = impl_->stats;
  if (stats.budget == 0) return prepare(false);
  const std::string key = make_key(weight, variant);
  const uint64_t print = fingerprint(weight);
  if (auto found = impl_->index.find(key); found != impl_->index.end()) {
    auto it = found->second;
    if (it->storage.lock() == weight.storage() && it->fingerprint == print) {
      impl_->lru.splice(impl_->lru.begin(), impl_->lru, it);
      ++stats.hits;
      return it->prepared;
    }
    impl_->erase(it);  // the storage died (address reused) or the values changed
  }
  ++stats.misses;
  if (stats.bytes + bytes > stats.budget) impl_->drop_expired();
  if (stats.bytes + bytes > stats.budget) {  // no room: prepared for this call only
    ++stats.rejected;
    return prepare(false);
  }
  Tensor prepared = prepare(true);
  impl_->lru.push_front(Impl::Entry{key, weight.storage(), print, prepared, bytes});
  impl_->index[key] = impl_->lru.begin();
  stats.bytes += bytes;
  return prepared;
}

void WeightCache::clear() {
  std::lock_guard lock(impl_->mutex);
  impl_->lru.clear();
  impl_->index.clear();
  impl_->stats.bytes = 0;
}

void WeightCache::set_budget(size_t bytes) {
  std::lock_guard lock(impl_->mutex);
  impl_->stats.budget = bytes;
  impl_->evict_to(bytes);
}

WeightCache::Stats WeightCache::stats() const {
  std::lock_guard lock(impl_->mutex);
  Stats s = impl_->stats;
  s.entries = impl_->lru.size();
  return s;
}

}  // namespace ad::cpu

#include "core/arena.h"

#include <sys/mman.h>

#include <cstdlib>
#include <new>

#include "core/error.h"

namespace ad {

namespace {
constexpr size_t kPage = size_t{2} << 20;  // chunks are multiples of 2 MiB (huge-page friendly)
size_t round_up(size_t value, size_t multiple) { return (value + multiple - 1) / multiple * multiple; }
thread_local Arena* t_current = nullptr;
}  // namespace

StoragePtr make_borrowed_storage(std::byte* data, size_t bytes, std::shared_ptr<void> owner) {
  auto storage = std::make_shared<Storage>();
  storage->data = data;
  storage->bytes = bytes;
  storage->owner = std::move(owner);
  return storage;
}

StoragePtr make_heap_storage(size_t bytes) {
  const size_t size = round_up(std::max<size_t>(bytes, 1), Arena::kAlignment);
  void* memory = std::aligned_alloc(Arena::kAlignment, size);
  if (!memory) throw Error(fmt::format("out of memory allocating {} bytes", bytes));
  auto storage = std::make_shared<Storage>();
  storage->data = static_cast<std::byte*>(memory);
  storage->bytes = bytes;
  storage->owner = std::shared_ptr<void>(memory, [](void* p) { std::free(p); });
  return storage;
}

Arena::Arena(size_t chunk_bytes) : chunk_bytes_(round_up(chunk_bytes, kPage)), self_(std::make_shared<Arena*>(this)) {}

Arena::~Arena() {
  std::lock_guard lock(mutex_);
  *self_ = nullptr;
  // Chunks with live blocks are leaked on purpose: their storages may still be in use.
  for (auto& chunk : chunks_) {
    if (chunk->free_blocks.size() == 1 && chunk->free_blocks.begin()->second == chunk->size)
      munmap(chunk->base, chunk->size);
  }
}

Arena& Arena::current() {
  if (t_current) return *t_current;
  // 256 MiB chunks: fewer chunk boundaries for best fit to fragment at (a 256x256 16-frame
  // AnimateDiff run peaks at 0.50 GiB of arena instead of 0.61 with 64 MiB chunks). Pages are
  // only resident once touched. Never destroyed: storages may outlive static destruction.
  static Arena* global = new Arena(size_t{256} << 20);
  return *global;
}

Arena::Chunk* Arena::add_chunk(size_t min_bytes) {
  const size_t size = round_up(std::max(min_bytes, chunk_bytes_), kPage);
  void* memory = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (memory == MAP_FAILED)
    throw Error(fmt::format("out of memory: could not map {:.1f} MiB for tensors ({:.1f} MiB already in use)",
                            static_cast<double>(size) / (1 << 20), static_cast<double>(stats_.bytes_reserved) / (1 << 20)));
  madvise(memory, size, MADV_HUGEPAGE);
  auto chunk = std::make_unique<Chunk>();
  chunk->base = static_cast<std::byte*>(memory);
  chunk->size = size;
  Chunk* raw = chunk.get();
  chunks_.push_back(std::move(chunk));
  insert_free(raw, 0, size);
  stats_.bytes_reserved += size;
  stats_.peak_bytes_reserved = std::max(stats_.peak_bytes_reserved, stats_.bytes_reserved);
  ++stats_.chunk_allocations;
  return raw;
}

void Arena::insert_free(Chunk* chunk, size_t offset, size_t size) {
  chunk->free_blocks.emplace(offset, size);
  free_by_size_.emplace(size, chunk, offset);
}

void Arena::remove_free(Chunk* chunk, size_t offset, size_t size) {
  chunk->free_blocks.erase(offset);
  free_by_size_.erase(FreeKey{size, chunk, offset});
}

StoragePtr Arena::allocate(size_t bytes) {
  const size_t size = round_up(std::max<size_t>(bytes, 1), kAlignment);
  Chunk* chunk = nullptr;
  size_t offset = 0;
  size_t block_size = 0;
  {
    std::lock_guard lock(mutex_);
    auto it = free_by_size_.lower_bound(FreeKey{size, nullptr, 0});
    if (it == free_by_size_.end()) {
      add_chunk(size);
      it = free_by_size_.lower_bound(FreeKey{size, nullptr, 0});
    }
    std::tie(block_size, chunk, offset) = *it;
    remove_free(chunk, offset, block_size);
    if (block_size > size) insert_free(chunk, offset + size, block_size - size);
    stats_.bytes_in_use += size;
    stats_.peak_bytes_in_use = std::max(stats_.peak_bytes_in_use, stats_.bytes_in_use);
  }
  std::weak_ptr<Arena*> weak_self = self_;
  auto owner = std::shared_ptr<void>(chunk->base + offset, [weak_self, chunk, offset, size](void*) {
    if (auto self = weak_self.lock(); self && *self) (*self)->release(chunk, offset, size);
  });
  return make_borrowed_storage(chunk->base + offset, bytes, std::move(owner));
}

void Arena::release(Chunk* chunk, size_t offset, size_t size) {
  std::lock_guard lock(mutex_);
  stats_.bytes_in_use -= size;
  // Coalesce with the free neighbours on both sides.
  auto next = chunk->free_blocks.find(offset + size);
  if (next != chunk->free_blocks.end()) {
    const size_t next_size = next->second;
    remove_free(chunk, offset + size, next_size);
    size += next_size;
  }
  auto after = chunk->free_blocks.lower_bound(offset);
  if (after != chunk->free_blocks.begin()) {
    auto prev = std::prev(after);
    if (prev->first + prev->second == offset) {
      const size_t prev_offset = prev->first;
      const size_t prev_size = prev->second;
      remove_free(chunk, prev_offset, prev_size);
      offset = prev_offset;
      size += prev_size;
    }
  }
  insert_free(chunk, offset, size);
}

void Arena::trim() {
  std::lock_guard lock(mutex_);
  for (auto it = chunks_.begin(); it != chunks_.end();) {
    Chunk* chunk = it->get();
    if (chunk->free_blocks.size() == 1 && chunk->free_blocks.begin()->second == chunk->size) {
      remove_free(chunk, 0, chunk->size);
      munmap(chunk->base, chunk->size);
      stats_.bytes_reserved -= chunk->size;
      it = chunks_.erase(it);
    } else {
      ++it;
    }
  }
}

Arena::Stats Arena::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void Arena::reset_peak() {
  std::lock_guard lock(mutex_);
  stats_.peak_bytes_in_use = stats_.bytes_in_use;
  stats_.peak_bytes_reserved = stats_.bytes_reserved;
}

ArenaScope::ArenaScope(Arena& arena) : previous_(t_current) { t_current = &arena; }
ArenaScope::~ArenaScope() { t_current = previous_; }

}  // namespace ad

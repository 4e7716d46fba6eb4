// Arena: the allocator behind every tensor an op creates. Memory comes from large mapped chunks
// and is handed out best-fit with coalescing on release, so after the first forward pass of a
// model no op reaches the operating system again: the chunks are reused (see stats()).
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <tuple>
#include <vector>

#include "core/storage.h"

namespace ad {

class Arena {
 public:
  struct Stats {
    size_t bytes_in_use = 0;
    size_t peak_bytes_in_use = 0;
    size_t bytes_reserved = 0;       // mapped chunks
    size_t peak_bytes_reserved = 0;
    size_t chunk_allocations = 0;    // calls to the operating system, over the arena's life
  };

  static constexpr size_t kAlignment = 64;

  explicit Arena(size_t chunk_bytes = size_t{64} << 20);
  ~Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // A storage of at least `bytes` bytes, 64-byte aligned; returned to the arena when released.
  StoragePtr allocate(size_t bytes);
  // Unmaps chunks that hold no live block (e.g. between pipeline phases).
  void trim();
  Stats stats() const;
  void reset_peak();

  // The arena used by ops unless a caller installs another (ArenaScope).
  static Arena& current();

 private:
  struct Chunk {
    std::byte* base = nullptr;
    size_t size = 0;
    std::map<size_t, size_t> free_blocks;  // offset -> size
  };
  using FreeKey = std::tuple<size_t, Chunk*, size_t>;  // size, chunk, offset (best fit = smallest size)

  void release(Chunk* chunk, size_t offset, size_t size);
  Chunk* add_chunk(size_t min_bytes);
  void remove_free(Chunk* chunk, size_t offset, size_t size);
  void insert_free(Chunk* chunk, size_t offset, size_t size);

  size_t chunk_bytes_;
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Chunk>> chunks_;
  std::set<FreeKey> free_by_size_;
  Stats stats_;
  // Keeps the arena alive while blocks are out (a block released after ~Arena is a no-op).
  std::shared_ptr<Arena*> self_;
  friend class ArenaScope;
};

// Installs an arena as Arena::current() for this thread while in scope.
class ArenaScope {
 public:
  explicit ArenaScope(Arena& arena);
  ~ArenaScope();
  ArenaScope(const ArenaScope&) = delete;
  ArenaScope& operator=(const ArenaScope&) = delete;

 private:
  Arena* previous_;
};

}  // namespace ad

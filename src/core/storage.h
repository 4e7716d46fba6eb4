// Storage: a byte range some owner keeps alive (an arena block, a heap buffer, a memory-mapped
// checkpoint). Tensors share storages; views never copy.
#pragma once

#include <cstddef>
#include <memory>

namespace ad {

enum class Device : uint8_t { CPU, CUDA };

struct Storage {
  std::byte* data = nullptr;
  size_t bytes = 0;
  Device device = Device::CPU;
  std::shared_ptr<void> owner;  // releases the memory when the last storage referring to it dies
};

using StoragePtr = std::shared_ptr<Storage>;

// A storage over memory that `owner` keeps alive (e.g. a mapped file); no copy.
StoragePtr make_borrowed_storage(std::byte* data, size_t bytes, std::shared_ptr<void> owner);

// A 64-byte-aligned heap storage, for long-lived tensors (converted weights, test data).
StoragePtr make_heap_storage(size_t bytes);

}  // namespace ad

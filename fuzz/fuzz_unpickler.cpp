// Fuzzes the restricted unpickler on raw pickle bytes; when a pickle runs, the value tree is
// rendered and every tensor's view is checked against its storage.
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "io/unpickler.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  try {
    const ad::io::pickle::Pickle p = ad::io::pickle::unpickle(bytes, "fuzz.pkl");
    const std::string text = ad::io::pickle::describe(p, p.root, 4096);
    if (text.size() > 4096 + 3) __builtin_trap();
    for (const auto& t : p.tensors) {
      const auto& storage = p.storages.at(t.storage);
      int64_t last = t.offset;
      bool empty = false;
      for (int d = 0; d < t.shape.size(); ++d) {
        if (t.shape[d] == 0) empty = true;
        else last += (t.shape[d] - 1) * t.strides[d];  // bounded: the unpickler checked it
      }
      if (!empty && static_cast<uint64_t>(last) >= storage.numel) __builtin_trap();
    }
  } catch (const ad::Error&) {
  }
  return 0;
}

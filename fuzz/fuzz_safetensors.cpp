// Fuzzes the safetensors header parser on a whole file image; when a header parses, every
// tensor's byte range is read, so a validation gap shows as an out-of-bounds read.
#include <cstddef>
#include <cstdint>

#include "io/safetensors.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const std::byte> image(reinterpret_cast<const std::byte*>(data), size);
  try {
    const ad::io::SafetensorsHeader header = ad::io::parse_safetensors_header(image, "fuzz.safetensors");
    uint64_t sum = 0;
    for (const auto& entry : header.entries) {
      const uint64_t bytes = static_cast<uint64_t>(entry.info.shape.product()) * ad::dtype_size(entry.info.dtype);
      if (entry.begin > entry.end || entry.end > size || entry.end - entry.begin != bytes) __builtin_trap();
      for (size_t i = entry.begin; i < entry.end; ++i) sum += data[i];
    }
    volatile uint64_t sink = sum;
    (void)sink;
  } catch (const ad::Error&) {
    // Refusing bad input is the expected outcome; anything else escapes and is reported.
  }
  return 0;
}

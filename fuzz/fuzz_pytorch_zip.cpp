// Fuzzes the PyTorch checkpoint reader on an in-memory archive image: the ZIP directory, every
// entry (stored and deflated), the pickle and the tensors it describes. The CRC check is off so
// that mutations reach the unpickler; every loaded tensor's bytes are read.
#include <cstddef>
#include <cstdint>

#include "io/pytorch_file.h"

namespace {

uint64_t touch(const ad::Tensor& t) {
  if (t.numel() == 0) return 0;
  int64_t last = t.offset();
  for (int d = 0; d < t.ndim(); ++d) last += (t.dim(d) - 1) * t.stride(d);
  const size_t element = ad::dtype_size(t.dtype());
  const size_t begin = static_cast<size_t>(t.offset()) * element;
  const size_t end = (static_cast<size_t>(last) + 1) * element;
  if (end > t.storage()->bytes) __builtin_trap();
  uint64_t sum = 0;
  for (size_t i = begin; i < end; ++i) sum += static_cast<uint8_t>(t.storage()->data[i]);
  return sum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const std::byte> image(reinterpret_cast<const std::byte*>(data), size);
  uint64_t sum = 0;
  try {
    const ad::io::ZipArchive zip(image, "fuzz.zip");
    std::vector<std::byte> buffer;
    for (const auto& entry : zip.entries()) {
      try {
        sum += zip.read(entry, buffer, true).size();
      } catch (const ad::Error&) {
      }
    }
  } catch (const ad::Error&) {
  }
  try {
    auto file = ad::io::PytorchFile::from_image(image, "fuzz.ckpt", nullptr, ad::io::PytorchFile::Options{false});
    for (const auto& info : file->tensors()) sum += touch(file->load(info.name));
    for (const auto& [key, value] : file->metadata()) sum += key.size() + value.size();
  } catch (const ad::Error&) {
  }
  volatile uint64_t sink = sum;
  (void)sink;
  return 0;
}

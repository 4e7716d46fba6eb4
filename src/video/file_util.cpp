#include "video/file_util.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/error.h"

namespace ad::video {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

std::vector<uint8_t> read_file_bytes(const std::string& path) {
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  AD_CHECK(file != nullptr, "cannot open '{}': {}", path, std::strerror(errno));
  std::vector<uint8_t> bytes;
  uint8_t buffer[1 << 16];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file.get())) > 0) bytes.insert(bytes.end(), buffer, buffer + n);
  AD_CHECK(!std::ferror(file.get()), "cannot read '{}': {}", path, std::strerror(errno));
  return bytes;
}

void write_file_bytes(const std::string& path, std::span<const uint8_t> bytes) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  AD_CHECK(file != nullptr, "cannot create '{}': {}", path, std::strerror(errno));
  const size_t written = std::fwrite(bytes.data(), 1, bytes.size(), file);
  const int write_errno = errno;
  const bool closed = std::fclose(file) == 0;
  AD_CHECK(written == bytes.size(), "cannot write '{}': {}", path, std::strerror(write_errno));
  AD_CHECK(closed, "cannot write '{}': {}", path, std::strerror(errno));
}

}  // namespace ad::video

#include "video/gif_file.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "core/error.h"
#include "video/file_util.h"

namespace ad::video {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

// Reads the sub-blocks at `at` (appending their bytes to `out` when given); returns the offset
// after the terminator.
size_t read_sub_blocks(const std::vector<uint8_t>& bytes, size_t at, const std::string& file, std::string* out) {
  while (true) {
    AD_CHECK(at < bytes.size(), "gif '{}': truncated data sub-blocks", file);
    const size_t length = bytes[at++];
    if (length == 0) return at;
    AD_CHECK(length <= bytes.size() - at, "gif '{}': truncated data sub-block at offset {}", file, at - 1);
    if (out) out->append(reinterpret_cast<const char*>(bytes.data() + at), length);
    at += length;
  }
}

}  // namespace

void append_gif_comment(const std::string& file, const std::string& label, const std::string& text) {
  std::unique_ptr<std::FILE, FileCloser> f(std::fopen(file.c_str(), "r+b"));
  AD_CHECK(f != nullptr, "gif '{}': cannot reopen '{}': {}", label, file, std::strerror(errno));
  int last = EOF;
  if (std::fseek(f.get(), -1, SEEK_END) == 0) last = std::fgetc(f.get());
  AD_CHECK(last == 0x3B, "gif '{}': the muxer's output does not end with the GIF trailer", label);
  std::vector<uint8_t> block = {0x21, 0xFE};
  for (size_t at = 0; at < text.size(); at += 255) {
    const size_t length = std::min<size_t>(255, text.size() - at);
    block.push_back(static_cast<uint8_t>(length));
    block.insert(block.end(), text.begin() + static_cast<std::ptrdiff_t>(at),
                 text.begin() + static_cast<std::ptrdiff_t>(at + length));
  }
  block.push_back(0x00);
  block.push_back(0x3B);
  const bool ok = std::fseek(f.get(), -1, SEEK_END) == 0 &&
                  std::fwrite(block.data(), 1, block.size(), f.get()) == block.size() && std::fflush(f.get()) == 0;
  AD_CHECK(ok, "gif '{}': cannot write the comment: {}", label, std::strerror(errno));
}

GifFileInfo read_gif_file(const std::string& file) {
  const std::vector<uint8_t> bytes = read_file_bytes(file);
  AD_CHECK(bytes.size() >= 13 && std::memcmp(bytes.data(), "GIF8", 4) == 0, "gif '{}': not a GIF file", file);
  GifFileInfo info;
  info.width = bytes[6] | bytes[7] << 8;
  info.height = bytes[8] | bytes[9] << 8;
  size_t at = 13;
  if (bytes[10] & 0x80) at += 3u << ((bytes[10] & 7) + 1);
  while (true) {
    AD_CHECK(at < bytes.size(), "gif '{}': no trailer", file);
    const uint8_t introducer = bytes[at++];
    if (introducer == 0x3B) break;
    if (introducer == 0x21) {
      AD_CHECK(at < bytes.size(), "gif '{}': truncated extension", file);
      const uint8_t label = bytes[at++];
      std::string data;
      at = read_sub_blocks(bytes, at, file, &data);
      if (label == 0xF9 && data.size() >= 3) {
        info.delay_centiseconds += static_cast<uint8_t>(data[1]) | static_cast<uint8_t>(data[2]) << 8;
      } else if (label == 0xFE) {
        info.comments.push_back(data);
      } else if (label == 0xFF && data.size() >= 14 && data.compare(0, 11, "NETSCAPE2.0") == 0 && data[11] == 1) {
        info.loop_count = static_cast<uint8_t>(data[12]) | static_cast<uint8_t>(data[13]) << 8;
      }
    } else if (introducer == 0x2C) {
      AD_CHECK(bytes.size() - at >= 10, "gif '{}': truncated image descriptor", file);
      const uint8_t flags = bytes[at + 8];
      at += 9;
      if (flags & 0x80) at += 3u << ((flags & 7) + 1);
      ++at;  // LZW minimum code size
      at = read_sub_blocks(bytes, at, file, nullptr);
      ++info.frames;
    } else {
      fail("gif '{}': unknown block 0x{:02x} at offset {}", file, introducer, at - 1);
    }
  }
  return info;
}

}  // namespace ad::video

#include "video/png_writer.h"

#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include "core/error.h"
#include "video/file_util.h"
#include "video/writers.h"

namespace ad::video {
namespace {

void append_chunk(std::vector<uint8_t>& out, const char* type, std::span<const uint8_t> data) {
  uint8_t word[4];
  store_u32be(word, static_cast<uint32_t>(data.size()));
  out.insert(out.end(), word, word + 4);
  const size_t type_at = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), data.begin(), data.end());
  const uLong crc = crc32(0L, out.data() + type_at, static_cast<uInt>(out.size() - type_at));
  store_u32be(word, static_cast<uint32_t>(crc));
  out.insert(out.end(), word, word + 4);
}

uint8_t paeth(int a, int b, int c) {
  const int p = a + b - c;
  const int pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  if (pa <= pb && pa <= pc) return static_cast<uint8_t>(a);
  return static_cast<uint8_t>(pb <= pc ? b : c);
}

// Filters `row` (previous row `above`, zeros for the first) with `type` into `out`.
void filter_row(int type, const uint8_t* row, const uint8_t* above, size_t n, uint8_t* out) {
  constexpr size_t bpp = 3;
  for (size_t i = 0; i < n; ++i) {
    const int a = i >= bpp ? row[i - bpp] : 0;
    const int b = above[i];
    const int c = i >= bpp ? above[i - bpp] : 0;
    int predictor = 0;
    switch (type) {
      case 1: predictor = a; break;
      case 2: predictor = b; break;
      case 3: predictor = (a + b) / 2; break;
      case 4: predictor = paeth(a, b, c); break;
      default: break;
    }
    out[i] = static_cast<uint8_t>(row[i] - predictor);
  }
}

std::vector<uint8_t> filtered_rows(std::span<const uint8_t> rgb, int width, int height) {
  const size_t n = static_cast<size_t>(width) * 3;
  std::vector<uint8_t> out((n + 1) * static_cast<size_t>(height));
  std::vector<uint8_t> zeros(n, 0), candidate(n);
  for (int y = 0; y < height; ++y) {
    const uint8_t* row = rgb.data() + static_cast<size_t>(y) * n;
    const uint8_t* above = y > 0 ? row - n : zeros.data();
    uint8_t* dest = out.data() + static_cast<size_t>(y) * (n + 1);
    uint64_t best_cost = UINT64_MAX;
    for (int type = 0; type < 5; ++type) {
      filter_row(type, row, above, n, candidate.data());
      uint64_t cost = 0;
      for (uint8_t v : candidate) cost += static_cast<uint64_t>(std::abs(static_cast<int8_t>(v)));
      if (cost < best_cost) {
        best_cost = cost;
        dest[0] = static_cast<uint8_t>(type);
        std::copy(candidate.begin(), candidate.end(), dest + 1);
      }
    }
  }
  return out;
}

}  // namespace

std::vector<uint8_t> encode_png(std::span<const uint8_t> rgb, int width, int height,
                                const std::map<std::string, std::string>& text, int compression_level) {
  AD_CHECK(width > 0 && height > 0 && rgb.size() == static_cast<size_t>(width) * height * 3,
           "encode_png: {} bytes for a {}x{} RGB image", rgb.size(), width, height);
  static constexpr uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  std::vector<uint8_t> out(kSignature, kSignature + 8);

  uint8_t header[13] = {};
  store_u32be(header, static_cast<uint32_t>(width));
  store_u32be(header + 4, static_cast<uint32_t>(height));
  header[8] = 8;  // bit depth
  header[9] = 2;  // colour type: RGB
  append_chunk(out, "IHDR", header);

  for (const auto& [key, value] : text) {
    AD_CHECK(!key.empty() && key.size() <= 79, "encode_png: keyword '{}' must be 1-79 characters", key);
    const bool ascii = std::all_of(value.begin(), value.end(), [](char c) { return c != 0 && static_cast<unsigned char>(c) < 0x80; });
    std::vector<uint8_t> data(key.begin(), key.end());
    data.push_back(0);
    if (!ascii) data.insert(data.end(), {0, 0, 0, 0});  // iTXt: no compression, no language, no translation
    data.insert(data.end(), value.begin(), value.end());
    append_chunk(out, ascii ? "tEXt" : "iTXt", data);
  }

  const std::vector<uint8_t> rows = filtered_rows(rgb, width, height);
  uLongf packed_size = compressBound(static_cast<uLong>(rows.size()));
  std::vector<uint8_t> packed(packed_size);
  const int ret = compress2(packed.data(), &packed_size, rows.data(), static_cast<uLong>(rows.size()), compression_level);
  AD_CHECK(ret == Z_OK, "encode_png: zlib compress2 failed ({})", ret);
  packed.resize(packed_size);
  append_chunk(out, "IDAT", packed);
  append_chunk(out, "IEND", {});
  return out;
}

std::map<std::string, std::string> read_png_text(const std::string& path) {
  const std::vector<uint8_t> bytes = read_file_bytes(path);
  AD_CHECK(bytes.size() >= 8 && bytes[0] == 0x89 && bytes[1] == 'P', "png '{}': not a PNG file", path);
  std::map<std::string, std::string> text;
  size_t at = 8;
  while (at + 12 <= bytes.size()) {
    const size_t length = load_u32be(bytes.data() + at);
    AD_CHECK(length <= bytes.size() - at - 12, "png '{}': chunk at offset {} runs past the end", path, at);
    const std::string type(reinterpret_cast<const char*>(bytes.data() + at + 4), 4);
    const std::string data(reinterpret_cast<const char*>(bytes.data() + at + 8), length);
    at += 12 + length;
    const size_t key_end = data.find('\0');
    if (key_end == std::string::npos) continue;
    const std::string key = data.substr(0, key_end);
    if (type == "tEXt") {
      std::string utf8;  // Latin-1 -> UTF-8
      for (size_t i = key_end + 1; i < data.size(); ++i) {
        const auto c = static_cast<unsigned char>(data[i]);
        if (c < 0x80) {
          utf8 += static_cast<char>(c);
        } else {
          utf8 += static_cast<char>(0xC0 | c >> 6);
          utf8 += static_cast<char>(0x80 | (c & 0x3F));
        }
      }
      text[key] = utf8;
    } else if (type == "iTXt" && key_end + 2 < data.size() && data[key_end + 1] == 0) {
      // keyword 0, compression flag (0), method, language 0, translated keyword 0, text
      const size_t language_end = data.find('\0', key_end + 3);
      const size_t translated_end = language_end == std::string::npos ? language_end : data.find('\0', language_end + 1);
      if (translated_end != std::string::npos) text[key] = data.substr(translated_end + 1);
    }
  }
  return text;
}

namespace {

class PngSequenceWriter final : public WriterBase {
 public:
  explicit PngSequenceWriter(const VideoWriterOptions& options) : WriterBase(options) {
    if (options.path.back() == '/' && !std::filesystem::exists(options.path)) {
      std::error_code ec;
      std::filesystem::create_directory(options.path, ec);
      AD_CHECK(!ec, "video '{}': cannot create the directory: {}", options.path, ec.message());
    }
  }

  void write_frame(std::span<const uint8_t> rgb) override {
    check_frame(rgb);
    const std::string file = png_frame_path(options_.path, frames_written_);
    write_file_bytes(file, encode_png(rgb, options_.width, options_.height, options_.metadata));
    output_files_.push_back(file);
    ++frames_written_;
  }

  void finish() override { begin_finish(); }
};

}  // namespace

std::unique_ptr<VideoWriter> make_png_sequence_writer(const VideoWriterOptions& options) {
  return std::make_unique<PngSequenceWriter>(options);
}

}  // namespace ad::video

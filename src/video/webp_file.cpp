#include "video/webp_file.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "core/error.h"
#include "video/file_util.h"

namespace ad::video {
namespace {

constexpr const char* kXmpNamespace = "urn:animatediff-cpp:metadata:1.0/";

struct Chunk {
  std::string fourcc;
  size_t offset;  // of the payload
  size_t size;    // of the payload, without padding
};

std::vector<Chunk> list_chunks(const std::vector<uint8_t>& bytes, const std::string& label) {
  AD_CHECK(bytes.size() >= 12 && std::memcmp(bytes.data(), "RIFF", 4) == 0 && std::memcmp(bytes.data() + 8, "WEBP", 4) == 0,
           "webp '{}': not a RIFF/WEBP file", label);
  std::vector<Chunk> chunks;
  size_t at = 12;
  while (at + 8 <= bytes.size()) {
    const size_t size = load_u32le(bytes.data() + at + 4);
    AD_CHECK(size <= bytes.size() - at - 8, "webp '{}': chunk at offset {} claims {} bytes, past the end of the file",
             label, at, size);
    chunks.push_back({std::string(reinterpret_cast<const char*>(bytes.data() + at), 4), at + 8, size});
    at += 8 + size + (size & 1);
  }
  AD_CHECK(!chunks.empty(), "webp '{}': no chunks", label);
  return chunks;
}

// Canvas size (and alpha use) from a simple file's VP8 / VP8L bitstream header.
void bitstream_size(const std::vector<uint8_t>& bytes, const Chunk& chunk, const std::string& label, int& width,
                    int& height, bool& alpha) {
  const uint8_t* p = bytes.data() + chunk.offset;
  alpha = false;
  if (chunk.fourcc == "VP8 " && chunk.size >= 10 && p[3] == 0x9d && p[4] == 0x01 && p[5] == 0x2a) {
    width = (p[6] | p[7] << 8) & 0x3fff;
    height = (p[8] | p[9] << 8) & 0x3fff;
    return;
  }
  if (chunk.fourcc == "VP8L" && chunk.size >= 5 && p[0] == 0x2f) {
    const uint32_t bits = load_u32le(p + 1);
    width = static_cast<int>(bits & 0x3fff) + 1;
    height = static_cast<int>((bits >> 14) & 0x3fff) + 1;
    alpha = ((bits >> 28) & 1) != 0;
    return;
  }
  fail("webp '{}': first chunk '{}' is neither VP8X nor a readable VP8/VP8L image", label, chunk.fourcc);
}

void append_chunk(std::vector<uint8_t>& out, const char* fourcc, const uint8_t* payload, size_t size) {
  out.insert(out.end(), fourcc, fourcc + 4);
  uint8_t size_bytes[4];
  store_u32le(size_bytes, static_cast<uint32_t>(size));
  out.insert(out.end(), size_bytes, size_bytes + 4);
  out.insert(out.end(), payload, payload + size);
  if (size & 1) out.push_back(0);
}

std::string xml_escape(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string xml_unescape(const std::string& text) {
  static const std::pair<const char*, char> entities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    bool replaced = false;
    for (const auto& [entity, c] : entities) {
      if (text.compare(i, std::strlen(entity), entity) == 0) {
        out += c;
        i += std::strlen(entity) - 1;
        replaced = true;
        break;
      }
    }
    if (!replaced) out += text[i];
  }
  return out;
}

}  // namespace

std::string make_xmp_packet(const std::map<std::string, std::string>& tags) {
  std::string xmp = "<?xpacket begin=\"\xEF\xBB\xBF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n"
                    "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">\n"
                    " <rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\n"
                    "  <rdf:Description rdf:about=\"\" xmlns:ad=\"" +
                    std::string(kXmpNamespace) + "\">\n";
  for (const auto& [key, value] : tags) xmp += "   <ad:" + key + ">" + xml_escape(value) + "</ad:" + key + ">\n";
  xmp += "  </rdf:Description>\n </rdf:RDF>\n</x:xmpmeta>\n<?xpacket end=\"w\"?>";
  return xmp;
}

std::map<std::string, std::string> parse_xmp_packet(const std::string& xmp) {
  std::map<std::string, std::string> tags;
  size_t at = 0;
  while ((at = xmp.find("<ad:", at)) != std::string::npos) {
    const size_t key_end = xmp.find('>', at);
    if (key_end == std::string::npos) break;
    const std::string key = xmp.substr(at + 4, key_end - at - 4);
    const std::string close = "</ad:" + key + ">";
    const size_t value_end = xmp.find(close, key_end);
    if (value_end == std::string::npos) break;
    tags[key] = xml_unescape(xmp.substr(key_end + 1, value_end - key_end - 1));
    at = value_end + close.size();
  }
  return tags;
}

void append_webp_xmp(const std::string& file, const std::string& label,
                     const std::map<std::string, std::string>& tags) {
  const std::vector<uint8_t> bytes = read_file_bytes(file);
  const std::vector<Chunk> chunks = list_chunks(bytes, label);
  std::vector<uint8_t> out(bytes.begin(), bytes.begin() + 12);
  if (chunks[0].fourcc != "VP8X") {
    // A simple (one-frame) file: XMP needs the extended format's VP8X header first.
    int width = 0, height = 0;
    bool alpha = false;
    bitstream_size(bytes, chunks[0], label, width, height, alpha);
    uint8_t vp8x[10] = {};
    vp8x[0] = alpha ? 0x10 : 0x00;
    for (int i = 0; i < 3; ++i) {
      vp8x[4 + i] = static_cast<uint8_t>((width - 1) >> (8 * i));
      vp8x[7 + i] = static_cast<uint8_t>((height - 1) >> (8 * i));
    }
    append_chunk(out, "VP8X", vp8x, sizeof(vp8x));
  }
  for (const Chunk& chunk : chunks) {
    if (chunk.fourcc == "XMP ") continue;  // replaced below
    const size_t start = out.size();
    append_chunk(out, chunk.fourcc.c_str(), bytes.data() + chunk.offset, chunk.size);
    if (chunk.fourcc == "VP8X") {
      AD_CHECK(chunk.size >= 10, "webp '{}': VP8X chunk too short", label);
      out[start + 8] |= 0x04;  // XMP present
    }
  }
  if (chunks[0].fourcc != "VP8X") out[12 + 8] |= 0x04;
  const std::string xmp = make_xmp_packet(tags);
  append_chunk(out, "XMP ", reinterpret_cast<const uint8_t*>(xmp.data()), xmp.size());
  AD_CHECK(out.size() - 8 <= 0xffffffffu, "webp '{}': file too large for RIFF", label);
  store_u32le(out.data() + 4, static_cast<uint32_t>(out.size() - 8));
  write_file_bytes(file, out);
}

WebpFileInfo read_webp_file(const std::string& file) {
  const std::vector<uint8_t> bytes = read_file_bytes(file);
  WebpFileInfo info;
  for (const Chunk& chunk : list_chunks(bytes, file)) {
    const uint8_t* p = bytes.data() + chunk.offset;
    if (chunk.fourcc == "VP8X" && chunk.size >= 10) {
      info.width = static_cast<int>(load_u24le(p + 4)) + 1;
      info.height = static_cast<int>(load_u24le(p + 7)) + 1;
    } else if (chunk.fourcc == "ANIM" && chunk.size >= 6) {
      info.loop_count = p[4] | p[5] << 8;
    } else if (chunk.fourcc == "ANMF" && chunk.size >= 16) {
      ++info.frames;
      info.duration_ms += load_u24le(p + 12);
    } else if (chunk.fourcc == "XMP ") {
      info.tags = parse_xmp_packet(std::string(reinterpret_cast<const char*>(p), chunk.size));
    } else if ((chunk.fourcc == "VP8 " || chunk.fourcc == "VP8L") && info.frames == 0 && info.width == 0) {
      bool alpha = false;
      bitstream_size(bytes, chunk, file, info.width, info.height, alpha);
      info.frames = 1;
    } else if (chunk.fourcc == "VP8 " || chunk.fourcc == "VP8L") {
      info.frames = std::max<int64_t>(info.frames, 1);  // the still image of a VP8X file
    }
  }
  return info;
}

}  // namespace ad::video

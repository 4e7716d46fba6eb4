// GIF block work FFmpeg's gif muxer does not do: appending a comment extension (our metadata, as
// one JSON object), and reading comments, the loop count and frame delays back.
//
// GIF89a: "GIF89a", logical screen descriptor (7 bytes; flags bit 7 = global colour table of
// 3 << ((flags & 7) + 1) bytes), then blocks until the trailer 0x3B:
//   0x21 label sub-blocks...   an extension: 0xF9 graphic control (delay in 1/100 s at bytes 1-2),
//                              0xFE comment, 0xFF application ("NETSCAPE2.0": 1, u16le loop count)
//   0x2C descriptor (9 bytes) [local colour table] LZW code size, sub-blocks...   an image
// Sub-blocks: a length byte (1..255) and that many bytes, ended by a 0 byte. A comment extension
// may stand anywhere a block may, so one just before the trailer is valid.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace ad::video {

// Inserts a comment extension holding `text` before the trailer of `file` (in place: writes from
// the trailer on). `label` names the output in errors.
void append_gif_comment(const std::string& file, const std::string& label, const std::string& text);

struct GifFileInfo {
  int width = 0;
  int height = 0;
  int64_t frames = 0;
  int64_t delay_centiseconds = 0;  // sum of the graphic control extensions' delays
  int loop_count = -1;              // -1: no NETSCAPE2.0 block (plays once)
  std::vector<std::string> comments;
};
GifFileInfo read_gif_file(const std::string& file);

}  // namespace ad::video

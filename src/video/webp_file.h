// WebP container work FFmpeg 5.1 does not do: adding an XMP chunk with our metadata, and reading
// an animated WebP's frame count, durations and tags back (FFmpeg 5.1 cannot decode ANIM/ANMF).
//
// RIFF layout (https://developers.google.com/speed/webp/docs/riff_container):
//   "RIFF" u32le(file size - 8) "WEBP", then chunks: fourcc, u32le payload size, payload, pad to even.
//   VP8X (10 bytes): flags (0x20 ICC, 0x10 alpha, 0x08 EXIF, 0x04 XMP, 0x02 animation), 3 reserved,
//                    u24le canvas width - 1, u24le canvas height - 1
//   ANIM (6 bytes):  u32 background colour, u16le loop count (0 = forever)
//   ANMF (16 + n):   u24le x/2, y/2, width - 1, height - 1, duration in ms, u8 flags, frame data
//   "XMP ":          an XMP packet, after the frames
// A one-frame clip comes out of libwebp as a simple file ("VP8 " or "VP8L" only); adding XMP then
// inserts a VP8X chunk with the canvas size read from the bitstream header.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace ad::video {

// Adds (or replaces) the XMP chunk of `file` with one ad:KEY element per entry; `label` names the
// output in errors.
void append_webp_xmp(const std::string& file, const std::string& label,
                     const std::map<std::string, std::string>& tags);

struct WebpFileInfo {
  int width = 0;
  int height = 0;
  int64_t frames = 0;
  int64_t duration_ms = 0;  // sum of the frames' durations (0 for a still image)
  int loop_count = -1;      // -1: no ANIM chunk
  std::map<std::string, std::string> tags;  // our XMP elements
};
WebpFileInfo read_webp_file(const std::string& file);

// The XMP packet for `tags` and its inverse (only our namespace's elements are read).
std::string make_xmp_packet(const std::map<std::string, std::string>& tags);
std::map<std::string, std::string> parse_xmp_packet(const std::string& xmp);

}  // namespace ad::video

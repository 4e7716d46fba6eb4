// A small PNG encoder over zlib (8-bit RGB, no interlace) with text chunks, a text-chunk reader,
// and the numbered PNG-frames writer behind VideoWriter::open.
//
// File: the 8-byte signature, then chunks (u32be length, type, data, u32be CRC-32 of type + data):
//   IHDR  width, height (u32be), bit depth 8, colour type 2 (RGB), compression 0, filter 0, interlace 0
//   tEXt  keyword, 0, Latin-1 text            (one per metadata entry whose value is ASCII)
//   iTXt  keyword, 0, 0, 0, "", 0, "", 0, UTF-8 text   (uncompressed; values with non-ASCII bytes)
//   IDAT  zlib stream of the rows, each prefixed by its filter type; per row the filter (None, Sub,
//         Up, Average, Paeth) with the smallest sum of |signed residuals| (the PNG spec's heuristic)
//   IEND
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

namespace ad::video {

// rgb: [height, width, 3]. Keys must be valid PNG keywords (1-79 printable Latin-1 characters).
std::vector<uint8_t> encode_png(std::span<const uint8_t> rgb, int width, int height,
                                const std::map<std::string, std::string>& text, int compression_level = 6);

// The tEXt (Latin-1, returned as UTF-8) and uncompressed iTXt chunks of a PNG file: FFmpeg 5.1's
// PNG decoder reads tEXt and zTXt but not iTXt.
std::map<std::string, std::string> read_png_text(const std::string& path);

}  // namespace ad::video

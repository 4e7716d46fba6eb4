// Single still images: reading an init image (any format FFmpeg decodes: PNG, JPEG, WebP stills,
// BMP, ...) as RGB, and writing one PNG with text metadata to exactly the path given (unlike
// the numbered PNG frames of video_writer.h).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ad::video {

struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> rgb;  // [height, width, 3], row-major
};

// The first frame of `path`, converted to 8-bit RGB. Throws ad::Error naming the file when it is
// missing or not a decodable image.
RgbImage read_image(const std::string& path);

// Writes `path.part` then renames it onto `path`, so that a failure never leaves half a file.
// Metadata keys as VideoWriterOptions::metadata (tEXt / iTXt chunks).
void write_png_image(const std::string& path, const RgbImage& image, const std::map<std::string, std::string>& metadata);

}  // namespace ad::video

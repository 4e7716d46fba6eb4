#include "video/image_file.h"

#include <filesystem>

#include "core/error.h"
#include "video/file_util.h"
#include "video/png_writer.h"
#include "video/video_probe.h"

namespace ad::video {

RgbImage read_image(const std::string& path) {
  AD_CHECK(std::filesystem::is_regular_file(path), "{}: no such file", path);
  VideoInfo info;
  try {
    info = probe_video(path);
  } catch (const Error& e) {
    fail("{}: not an image this program can read (PNG, JPEG, ...): {}", path, e.what());
  }
  AD_CHECK(!info.first_frame_rgb.empty() && info.width > 0 && info.height > 0, "{}: no picture could be decoded", path);
  return RgbImage{info.width, info.height, std::move(info.first_frame_rgb)};
}

void write_png_image(const std::string& path, const RgbImage& image, const std::map<std::string, std::string>& metadata) {
  AD_CHECK(image.rgb.size() == static_cast<size_t>(image.width) * static_cast<size_t>(image.height) * 3,
           "{}: {} bytes for a {}x{} RGB image", path, image.rgb.size(), image.width, image.height);
  const std::string part = path + ".part";
  write_file_bytes(part, encode_png(image.rgb, image.width, image.height, metadata));
  std::error_code ec;
  std::filesystem::rename(part, path, ec);
  if (ec) {
    std::filesystem::remove(part);
    fail("cannot write '{}': {}", path, ec.message());
  }
}

}  // namespace ad::video

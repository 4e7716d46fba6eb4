// Format choice, output checks, PNG frame naming and VideoWriter::open.
#include "video/video_writer.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <filesystem>

#include "core/error.h"
#include "video/libav_util.h"
#include "video/writers.h"

namespace ad::video {
namespace {

namespace fs = std::filesystem;

struct FormatEntry {
  VideoFormat format;
  const char* extension;
  const char* muxer;    // nullptr: our own writer
  const char* encoder;  // nullptr: our own writer
  bool even_size;       // yuv420p
  int max_size;
};

// One line per format.
constexpr FormatEntry kFormats[] = {
    {VideoFormat::Mp4, "mp4", "mp4", "libx264", true, 16384},
    {VideoFormat::Webm, "webm", "webm", "libvpx-vp9", true, 16384},
    {VideoFormat::Gif, "gif", "gif", "gif", false, 65535},
    {VideoFormat::Webp, "webp", "webp", "libwebp_anim", false, 16383},
    {VideoFormat::PngFrames, "png", nullptr, nullptr, false, 1 << 24},
};

const FormatEntry& entry_for(VideoFormat format) {
  for (const FormatEntry& e : kFormats) {
    if (e.format == format) return e;
  }
  fail("video: unknown format {}", static_cast<int>(format));
}

bool is_directory_path(const std::string& path) {
  std::error_code ec;
  return path.back() == '/' || fs::is_directory(path, ec);
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// Replaces the single %d / %0Nd conversion of `pattern` by `index`; "%%" is a literal '%'.
std::string format_frame_pattern(const std::string& pattern, int64_t index) {
  std::string out;
  int conversions = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '%') {
      out += pattern[i];
      continue;
    }
    size_t j = i + 1;
    if (j < pattern.size() && pattern[j] == '%') {
      out += '%';
      i = j;
      continue;
    }
    const bool zero_pad = j < pattern.size() && pattern[j] == '0';
    if (zero_pad) ++j;
    int width = 0;
    while (j < pattern.size() && std::isdigit(static_cast<unsigned char>(pattern[j])) && width < 100) {
      width = width * 10 + (pattern[j++] - '0');
    }
    AD_CHECK(j < pattern.size() && pattern[j] == 'd' && width <= 20,
             "video '{}': a PNG frame pattern takes one %d, %0Nd or %Nd conversion (e.g. frame_%04d.png); "
             "write %% for a literal '%'",
             pattern);
    std::string number = std::to_string(index);
    if (static_cast<int>(number.size()) < width) number.insert(0, width - number.size(), zero_pad ? '0' : ' ');
    out += number;
    ++conversions;
    i = j;
  }
  AD_CHECK(conversions == 1, "video '{}': a PNG frame pattern needs exactly one %d conversion, found {}", pattern,
           conversions);
  return out;
}

void check_directory(const std::string& path, const fs::path& directory) {
  std::error_code ec;
  const fs::path dir = directory.empty() ? fs::path(".") : directory;
  AD_CHECK(fs::exists(dir, ec), "video '{}': directory '{}' does not exist", path, dir.string());
  AD_CHECK(fs::is_directory(dir, ec), "video '{}': '{}' is not a directory", path, dir.string());
  AD_CHECK(access(dir.c_str(), W_OK | X_OK) == 0, "video '{}': directory '{}' is not writable", path, dir.string());
}

}  // namespace

std::vector<std::string> supported_video_extensions() {
  std::vector<std::string> extensions;
  for (const FormatEntry& e : kFormats) extensions.emplace_back(e.extension);
  return extensions;
}

const char* video_format_name(VideoFormat format) {
  return format == VideoFormat::PngFrames ? "png frames" : entry_for(format).extension;
}

VideoFormat video_format_for_path(const std::string& path) {
  AD_CHECK(!path.empty(), "video: the output path is empty");
  if (is_directory_path(path)) return VideoFormat::PngFrames;
  const std::string extension = lower(fs::path(path).extension().string());
  for (const FormatEntry& e : kFormats) {
    if (extension == std::string(".") + e.extension) return e.format;
  }
  std::string supported;
  for (const FormatEntry& e : kFormats) supported += (supported.empty() ? "." : ", .") + std::string(e.extension);
  fail("video '{}': {} (supported: {}, or a directory for PNG frames)", path,
       extension.empty() ? std::string("no file extension") : "unknown extension '" + extension + "'", supported);
}

std::string png_frame_path(const std::string& path, int64_t index) {
  if (is_directory_path(path)) return (fs::path(path) / fmt::format("frame_{:04d}.png", index)).string();
  const fs::path p(path);
  if (path.find('%') != std::string::npos) return format_frame_pattern(path, index);
  return (p.parent_path() / fmt::format("{}_{:04d}{}", p.stem().string(), index, p.extension().string())).string();
}

void check_video_output(const std::string& path, int width, int height) {
  const VideoFormat format = video_format_for_path(path);
  const FormatEntry& e = entry_for(format);
  AD_CHECK(width > 0 && height > 0 && width <= e.max_size && height <= e.max_size,
           "video '{}': frame size {}x{} is outside what {} takes (1..{})", path, width, height, e.extension,
           e.max_size);
  AD_CHECK(!e.even_size || (width % 2 == 0 && height % 2 == 0),
           "video '{}': {} is written in yuv420p, which needs an even width and height; got {}x{}", path,
           e.extension, width, height);
  if (e.muxer != nullptr) {
    install_av_log_hook();
    AD_CHECK(av_guess_format(e.muxer, nullptr, nullptr) != nullptr, "video '{}': this FFmpeg build has no {} muxer",
             path, e.muxer);
    AD_CHECK(avcodec_find_encoder_by_name(e.encoder) != nullptr,
             "video '{}': this FFmpeg build has no {} encoder, needed for .{}", path, e.encoder, e.extension);
  }
  if (format == VideoFormat::PngFrames && is_directory_path(path)) {
    fs::path dir(path);
    if (!dir.has_filename()) dir = dir.parent_path();  // "frames/" -> "frames"
    std::error_code ec;
    // A directory that does not exist yet is created by open() when its parent exists.
    check_directory(path, fs::exists(dir, ec) ? dir : dir.parent_path());
    return;
  }
  const std::string first_file = format == VideoFormat::PngFrames ? png_frame_path(path, 0) : path;
  check_directory(path, fs::path(first_file).parent_path());
}

std::unique_ptr<VideoWriter> VideoWriter::open(const VideoWriterOptions& options) {
  const std::string& path = options.path;
  check_video_output(path, options.width, options.height);
  AD_CHECK(options.fps > 0.0 && options.fps <= 1000.0, "video '{}': fps {} is outside (0, 1000]", path, options.fps);
  AD_CHECK(options.quality >= 1 && options.quality <= 100, "video '{}': quality {} is outside 1..100", path,
           options.quality);
  for (const auto& [key, value] : options.metadata) {
    const bool key_ok = !key.empty() && key.size() <= 79 && std::isalpha(static_cast<unsigned char>(key[0])) &&
                        std::all_of(key.begin(), key.end(), [](unsigned char c) {
                          return std::isalnum(c) || c == '_' || c == '-';
                        });
    AD_CHECK(key_ok, "video '{}': metadata key '{}' must be 1-79 characters of [A-Za-z0-9_-] starting with a letter",
             path, key);
    AD_CHECK(value.find('\0') == std::string::npos, "video '{}': metadata value of '{}' contains a NUL byte", path,
             key);
  }
  switch (video_format_for_path(path)) {
    case VideoFormat::Mp4:
    case VideoFormat::Webm: return make_yuv_writer(options);
    case VideoFormat::Gif: return make_gif_writer(options);
    case VideoFormat::Webp: return make_webp_writer(options);
    case VideoFormat::PngFrames: return make_png_sequence_writer(options);
  }
  fail("video '{}': unhandled format", path);
}

}  // namespace ad::video

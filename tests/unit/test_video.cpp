// Video writers: a 10-frame 64x48 clip of moving gradients in every format, read back with
// probe_video (frames, size, fps, codec, loop, metadata, first/last frame colours); PNG frames
// (names, tEXt/iTXt chunks, exact pixels); the output checks and misuse errors.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>

#include "core/error.h"
#include "video/video_probe.h"
#include "video/video_writer.h"

#include "support/test_util.h"

namespace ad::video {
namespace {

namespace fs = std::filesystem;

constexpr int kWidth = 64, kHeight = 48, kFrames = 10;
constexpr double kFps = 8.0;

class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = fs::temp_directory_path() / ("ad_test_video_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  std::vector<std::string> files() const {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(path_)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }

 private:
  fs::path path_;
};

// Smooth gradients that move with the frame index, and a red square that moves across.
std::vector<uint8_t> make_frame(int index, int width = kWidth, int height = kHeight) {
  std::vector<uint8_t> rgb(static_cast<size_t>(width) * height * 3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      uint8_t* p = &rgb[(static_cast<size_t>(y) * width + x) * 3];
      p[0] = static_cast<uint8_t>(std::clamp(x * 3 + index * 4, 0, 255));
      p[1] = static_cast<uint8_t>(std::clamp(y * 4 + 20, 0, 255));
      p[2] = static_cast<uint8_t>(std::clamp(220 - x * 2 - index * 3, 0, 255));
      if (x >= 8 + 3 * index && x < 24 + 3 * index && y >= 16 && y < 32) {
        p[0] = 255, p[1] = 0, p[2] = 0;
      }
    }
  }
  return rgb;
}

const std::map<std::string, std::string>& test_metadata() {
  static const std::map<std::string, std::string> metadata = {
      {"prompt", "a cat surfing a wave, \"golden hour\" <4k> & more \xE2\x98\x95"},  // UTF-8 coffee cup
      {"negative_prompt", "blurry, low quality"},
      {"seed", "42"},
      {"steps", "20"},
      {"cfg", "7.5"},
      {"sampler", "euler_a"},
      {"model", "v1-5-pruned-emaonly.safetensors"},
      {"motion_module", "mm_sd_v15_v2.ckpt"},
      {"software", "animatediff.cpp 0.1.0"},
  };
  return metadata;
}

std::vector<std::string> write_clip(const std::string& path, int frames = kFrames, int width = kWidth,
                                    int height = kHeight) {
  VideoWriterOptions options;
  options.path = path;
  options.width = width;
  options.height = height;
  options.fps = kFps;
  options.metadata = test_metadata();
  auto writer = VideoWriter::open(options);
  for (int i = 0; i < frames; ++i) writer->write_frame(make_frame(i, width, height));
  writer->finish();
  EXPECT_EQ(writer->frames_written(), frames);
  return writer->output_files();
}

double mean_abs_error(const std::vector<uint8_t>& got, const std::vector<uint8_t>& want) {
  if (got.size() != want.size() || got.empty()) return 1e9;
  double sum = 0;
  for (size_t i = 0; i < got.size(); ++i) sum += std::abs(static_cast<int>(got[i]) - static_cast<int>(want[i]));
  return sum / static_cast<double>(got.size());
}

void expect_error(const std::function<void()>& body, const std::string& fragment) {
  try {
    body();
    ADD_FAILURE() << "no error; expected one containing \"" << fragment << "\"";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

struct FormatCase {
  const char* extension;
  const char* codec;
  int loop_count;             // -1: the format has none
  double max_mean_error;      // first/last frame vs input, 0..255 scale; < 0: not decodable here
  double fps_tolerance;
};

class VideoFormats : public ::testing::TestWithParam<FormatCase> {};

TEST_P(VideoFormats, RoundTrip) {
  const FormatCase& c = GetParam();
  TempDir dir;
  const std::string path = dir / (std::string("clip.") + c.extension);
  EXPECT_EQ(write_clip(path), std::vector<std::string>{path});
  EXPECT_EQ(dir.files(), std::vector<std::string>{std::string("clip.") + c.extension}) << "no .part left behind";

  const VideoInfo info = probe_video(path);
  const std::string repro = std::string(" [format .") + c.extension + ", file " + path + "]";
  EXPECT_EQ(info.codec, c.codec) << repro;
  EXPECT_EQ(info.frames, kFrames) << repro;
  EXPECT_EQ(info.width, kWidth) << repro;
  EXPECT_EQ(info.height, kHeight) << repro;
  EXPECT_NEAR(info.fps, kFps, c.fps_tolerance) << repro;
  EXPECT_EQ(info.loop_count, c.loop_count) << repro;
  for (const auto& [key, value] : test_metadata()) {
    const auto it = info.tags.find(key);
    ASSERT_NE(it, info.tags.end()) << "tag " << key << " missing" << repro;
    EXPECT_EQ(it->second, value) << "tag " << key << repro;
  }
  if (c.max_mean_error >= 0) {
    EXPECT_LT(mean_abs_error(info.first_frame_rgb, make_frame(0)), c.max_mean_error) << "first frame" << repro;
    EXPECT_LT(mean_abs_error(info.last_frame_rgb, make_frame(kFrames - 1)), c.max_mean_error) << "last frame" << repro;
  }
}

INSTANTIATE_TEST_SUITE_P(All, VideoFormats,
                         ::testing::Values(FormatCase{"mp4", "h264", -1, 4.0, 1e-6},
                                           FormatCase{"webm", "vp9", -1, 4.0, 1e-6},
                                           FormatCase{"gif", "gif", 0, 6.0, 0.1},
                                           FormatCase{"webp", "webp", 0, -1.0, 1e-6}),
                         [](const auto& test_info) { return std::string(test_info.param.extension); });

TEST(Video, Mp4MoovBeforeMdat) {
  TempDir dir;
  const std::string path = dir / "fast.mp4";
  write_clip(path, 3);
  const std::string head = test::read_file(path);
  const size_t moov = head.find("moov"), mdat = head.find("mdat");
  ASSERT_NE(moov, std::string::npos);
  ASSERT_NE(mdat, std::string::npos);
  EXPECT_LT(moov, mdat) << "+faststart: the moov box must come first";
}

TEST(Video, OddSizesWhereAllowed) {
  TempDir dir;
  for (const char* name : {"odd.gif", "odd.webp"}) {
    write_clip(dir / name, 3, 63, 47);
    const VideoInfo info = probe_video(dir / name);
    EXPECT_EQ(info.frames, 3) << name;
    EXPECT_EQ(info.width, 63) << name;
    EXPECT_EQ(info.height, 47) << name;
  }
}

TEST(Video, SingleFrameWebpKeepsXmp) {
  // libwebp writes a one-frame clip as a simple file; the XMP needs a VP8X header inserted.
  TempDir dir;
  write_clip(dir / "one.webp", 1);
  const VideoInfo info = probe_video(dir / "one.webp");
  EXPECT_EQ(info.frames, 1);
  EXPECT_EQ(info.width, kWidth);
  EXPECT_EQ(info.height, kHeight);
  EXPECT_EQ(info.tags.at("prompt"), test_metadata().at("prompt"));
}

// PNG chunk types in order, with each chunk's data (CRC checked).
std::vector<std::pair<std::string, std::string>> png_chunks(const std::string& path) {
  const std::string bytes = test::read_file(path);
  std::vector<std::pair<std::string, std::string>> chunks;
  EXPECT_EQ(bytes.compare(0, 8, "\x89PNG\r\n\x1a\n"), 0) << path;
  size_t at = 8;
  while (at + 12 <= bytes.size()) {
    const auto u8 = [&](size_t i) { return static_cast<uint32_t>(static_cast<uint8_t>(bytes[i])); };
    const uint32_t length = u8(at) << 24 | u8(at + 1) << 16 | u8(at + 2) << 8 | u8(at + 3);
    if (at + 12 + length > bytes.size()) break;
    chunks.emplace_back(bytes.substr(at + 4, 4), bytes.substr(at + 8, length));
    at += 12 + length;
  }
  EXPECT_EQ(at, bytes.size()) << path;
  return chunks;
}

TEST(Video, PngFramesWithTextChunks) {
  TempDir dir;
  const std::vector<std::string> files = write_clip(dir / "out.png");
  ASSERT_EQ(files.size(), static_cast<size_t>(kFrames));
  EXPECT_EQ(files[0], dir / "out_0000.png");
  EXPECT_EQ(files[9], dir / "out_0009.png");
  EXPECT_EQ(dir.files().size(), static_cast<size_t>(kFrames));
  for (int i = 0; i < kFrames; ++i) {
    const VideoInfo info = probe_video(files[static_cast<size_t>(i)]);
    EXPECT_EQ(info.codec, "png");
    EXPECT_EQ(info.frames, 1);
    EXPECT_EQ(info.width, kWidth);
    EXPECT_EQ(info.height, kHeight);
    EXPECT_EQ(info.first_frame_rgb, make_frame(i)) << "PNG is lossless; frame " << i;
    for (const auto& [key, value] : test_metadata()) EXPECT_EQ(info.tags.at(key), value) << key;
  }
  // One text chunk per key, before IDAT: tEXt for ASCII values, iTXt for the UTF-8 prompt.
  std::map<std::string, std::string> text;
  std::vector<std::string> types;
  for (const auto& [type, data] : png_chunks(files[0])) {
    if (types.empty() || types.back() != type) types.push_back(type);
    const std::string key = data.substr(0, data.find('\0'));
    if (type == "tEXt") text[key] = data.substr(key.size() + 1);
    if (type == "iTXt") text[key] = data.substr(key.size() + 5);  // keyword 0, 0 0, "" 0, "" 0
    if (type == "iTXt") {
      EXPECT_EQ(key, "prompt");
    }
  }
  EXPECT_EQ(types, (std::vector<std::string>{"IHDR", "tEXt", "iTXt", "tEXt", "IDAT", "IEND"}));
  EXPECT_EQ(text, test_metadata());
}

TEST(Video, PngNaming) {
  EXPECT_EQ(png_frame_path("out/clip.png", 7), "out/clip_0007.png");
  EXPECT_EQ(png_frame_path("out/clip.PNG", 12345), "out/clip_12345.PNG");
  EXPECT_EQ(png_frame_path("out/f_%04d.png", 7), "out/f_0007.png");
  EXPECT_EQ(png_frame_path("out/f_%d.png", 7), "out/f_7.png");
  EXPECT_EQ(png_frame_path("out/100%%_%03d.png", 7), "out/100%_007.png");
  EXPECT_EQ(png_frame_path("out/", 7), "out/frame_0007.png");
  expect_error([] { png_frame_path("out/f_%s.png", 1); }, "%d");
  expect_error([] { png_frame_path("out/f_%d_%d.png", 1); }, "exactly one");

  TempDir dir;
  const std::vector<std::string> files = write_clip(dir / "frames/", 2);
  EXPECT_EQ(files, (std::vector<std::string>{dir / "frames/frame_0000.png", dir / "frames/frame_0001.png"}));
  EXPECT_EQ(video_format_for_path(dir / "frames"), VideoFormat::PngFrames);  // an existing directory
  EXPECT_EQ(write_clip(dir / "p_%03d.png", 1), std::vector<std::string>{dir / "p_000.png"});
}

TEST(Video, OutputChecks) {
  TempDir dir;
  EXPECT_EQ(supported_video_extensions(), (std::vector<std::string>{"mp4", "webm", "gif", "webp", "png"}));
  EXPECT_EQ(video_format_for_path("a/b.MP4"), VideoFormat::Mp4);
  for (const char* name : {"a.mp4", "a.webm", "a.gif", "a.webp", "a.png"}) {
    EXPECT_NO_THROW(check_video_output(dir / name, 64, 48)) << name;
  }
  expect_error([&] { check_video_output(dir / "a.avi", 64, 48); }, "unknown extension '.avi' (supported: .mp4");
  expect_error([&] { check_video_output(dir / "noext", 64, 48); }, "no file extension");
  expect_error([&] { check_video_output(dir / "odd.mp4", 63, 48); }, "even width and height; got 63x48");
  expect_error([&] { check_video_output(dir / "odd.webm", 64, 47); }, "even width and height");
  expect_error([&] { check_video_output(dir / "zero.gif", 0, 48); }, "frame size 0x48");
  expect_error([&] { check_video_output(dir / "missing/out.mp4", 64, 48); }, "does not exist");
  std::ofstream(dir / "plain_file") << "x";
  expect_error([&] { check_video_output(dir / "plain_file/out.gif", 64, 48); }, "is not a directory");
  expect_error([&] { check_video_output(dir / "missing/f_%04d.png", 64, 48); }, "does not exist");
}

TEST(Video, MisuseErrors) {
  TempDir dir;
  VideoWriterOptions options;
  options.path = dir / "m.mp4";
  options.width = kWidth;
  options.height = kHeight;
  {
    auto writer = VideoWriter::open(options);
    expect_error([&] { writer->write_frame(std::vector<uint8_t>(10)); }, "has 10 bytes; expected 48x64x3 = 9216");
    expect_error([&] { writer->finish(); }, "no frames were written");
  }
  options.metadata = {{"bad key", "x"}};
  expect_error([&] { VideoWriter::open(options); }, "metadata key 'bad key'");
  options.metadata = {};
  options.fps = 0;
  expect_error([&] { VideoWriter::open(options); }, "fps 0");
  options.fps = kFps;
  options.path = dir / "m.png";
  auto writer = VideoWriter::open(options);
  writer->write_frame(make_frame(0));
  writer->finish();
  expect_error([&] { writer->write_frame(make_frame(1)); }, "after finish");
}

TEST(Video, UnfinishedWriterLeavesExistingFileAlone) {
  TempDir dir;
  const std::string path = dir / "keep.webm";
  write_clip(path, 2);
  const auto size = fs::file_size(path);
  {
    VideoWriterOptions options;
    options.path = path;
    options.width = kWidth;
    options.height = kHeight;
    auto writer = VideoWriter::open(options);
    writer->write_frame(make_frame(0));
    // Destroyed without finish(): a cancelled or failed run.
  }
  EXPECT_EQ(dir.files(), std::vector<std::string>{"keep.webm"});
  EXPECT_EQ(fs::file_size(path), size);
  EXPECT_EQ(probe_video(path).frames, 2);
}

}  // namespace
}  // namespace ad::video

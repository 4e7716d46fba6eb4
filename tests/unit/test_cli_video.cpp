// End to end: the `animatediff video` program on the tiny SD1.5 checkpoint (tests/data/tiny_sd15,
// made by tools/make_tiny_sd15.py from the fixture weights) with the v2 fixture motion module.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "io/safetensors.h"
#include "support/test_util.h"
#include "video/video_probe.h"

namespace ad {
namespace {

namespace fs = std::filesystem;

using test::run_cli;

std::string model() { return test::data_dir() + "/tiny_sd15/tiny_sd15.safetensors"; }
std::string motion() { return test::data_dir() + "/fixtures/animatediff/motion_module_v2/motion_module.ckpt"; }

class CliVideo : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ad_cli_video_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string base_args(const std::string& output, int frames = 8, const std::string& motion_module = motion(),
                        int width = 64) const {
    return "video --model " + model() + " --motion-module " + motion_module +
           " --prompt \"a red fox running through snow, cinematic\" --negative-prompt \"blurry\" --frames " +
           std::to_string(frames) + " --width " + std::to_string(width) +
           " --height 64 --steps 2 --seed 42 --fps 8 -q -o " + (dir_ / output).string();
  }
  fs::path dir_;
};

TEST_F(CliVideo, WritesMp4WithMetadata) {
  const test::CliResult r = run_cli(base_args("fox.mp4"));
  ASSERT_EQ(r.status, 0) << r.output;
  const auto info = video::probe_video((dir_ / "fox.mp4").string());
  EXPECT_EQ(info.frames, 8);
  EXPECT_EQ(info.width, 64);
  EXPECT_EQ(info.height, 64);
  EXPECT_NEAR(info.fps, 8.0, 0.01);
  EXPECT_EQ(info.tags.at("prompt"), "a red fox running through snow, cinematic");
  EXPECT_EQ(info.tags.at("seed"), "42");
  EXPECT_EQ(info.tags.at("motion_module"), "motion_module.ckpt");
}

TEST_F(CliVideo, SameSeedSameFrames) {
  ASSERT_EQ(run_cli(base_args("a.gif")).status, 0);
  ASSERT_EQ(run_cli("--threads 1 " + base_args("b.gif")).status, 0);
  const auto a = video::probe_video((dir_ / "a.gif").string());
  const auto b = video::probe_video((dir_ / "b.gif").string());
  ASSERT_FALSE(a.first_frame_rgb.empty());
  EXPECT_EQ(a.first_frame_rgb, b.first_frame_rgb);
}

// 72 = 9 latents: odd sizes down the UNet, upsampled back to the skip connections' sizes.
TEST_F(CliVideo, WidthMultipleOfEightOnly) {
  const test::CliResult r = run_cli(base_args("wide.webp", 4, motion(), 72));
  ASSERT_EQ(r.status, 0) << r.output;
  const auto info = video::probe_video((dir_ / "wide.webp").string());
  EXPECT_EQ(info.frames, 4);
  EXPECT_EQ(info.width, 72);
  EXPECT_EQ(info.height, 64);
}

TEST_F(CliVideo, LongClipUsesContextWindows) {
  const test::CliResult r = run_cli(base_args("long.webm", 36));
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(video::probe_video((dir_ / "long.webm").string()).frames, 36);
}

TEST_F(CliVideo, ClearErrorsBeforeCompute) {
  const auto expect_error = [&](const std::string& args, const std::string& fragment) {
    const test::CliResult r = run_cli(args);
    EXPECT_NE(r.status, 0) << args;
    EXPECT_NE(r.output.find(fragment), std::string::npos) << r.output;
  };
  expect_error(base_args("x.mp4", 8, motion(), 100), "multiple");
  expect_error(base_args("x.mp4", 0), "--frames 0");
  expect_error(base_args("x.avi"), "avi");
  expect_error("video --model " + test::data_dir() + "/fixtures/sd3/mmdit_sd3_medium/weights.safetensors --motion-module " +
                   motion() + " --prompt x -o " + (dir_ / "y.mp4").string(),
               "SD1.5");
  // A motion module missing the modules of one UNet block does not fit.
  const auto full = io::SafetensorsFile::open(test::data_dir() + "/fixtures/animatediff/motion_module_v2/motion_module.safetensors");
  std::vector<std::pair<std::string, Tensor>> partial;
  for (const auto& info : full->tensors())
    if (info.name.rfind("up_blocks.3.", 0) != 0) partial.emplace_back(info.name, full->load(info.name));
  const std::string partial_path = (dir_ / "partial_mm.safetensors").string();
  io::write_safetensors(partial_path, partial);
  expect_error(base_args("x.mp4", 8, partial_path), "does not fit");
  expect_error(base_args("x.mp4", 8, model()), "motion module");
}

}  // namespace
}  // namespace ad

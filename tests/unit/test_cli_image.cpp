// End to end: the `animatediff image` program on the tiny SD3.5 checkpoint (tests/data/tiny_sd3,
// made by tools/make_tiny_sd3.py from the sd3 fixture weights: a 3-block SD3.5 Medium MMDiT, the
// 16-channel VAE, CLIP-L, CLIP-G and T5 in the single-file layout), plus the per-model defaults.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <map>

#include "animatediff/image.h"
#include "core/error.h"
#include "io/safetensors.h"
#include "support/test_util.h"
#include "video/video_probe.h"

namespace ad {
namespace {

namespace fs = std::filesystem;

using test::run_cli;

std::string model() { return test::data_dir() + "/tiny_sd3/tiny_sd3.safetensors"; }

class CliImage : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ad_cli_image_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  // The command line with these options replaced (an empty value drops the option).
  std::string base_args(const std::string& output, const std::map<std::string, std::string>& changes = {},
                        const std::string& model_path = model()) const {
    std::map<std::string, std::string> options = {
        {"--prompt", "\"a red fox in the snow, golden hour\""}, {"--negative-prompt", "blurry"}, {"--steps", "3"},
        {"--width", "64"}, {"--height", "48"}, {"--seed", "42"}};
    for (const auto& [key, value] : changes) options[key] = value;
    std::string args = "image -q --model " + model_path + " -o " + path(output);
    for (const auto& [key, value] : options)
      if (!value.empty()) args += " " + key + " " + value;
    return args;
  }
  // A copy of the tiny checkpoint with only the tensors `keep` accepts (names stripped of `strip`).
  std::string subset(const std::string& name, const std::function<bool(const std::string&)>& keep,
                     const std::string& strip = "", bool with_metadata = true) const {
    const auto full = io::SafetensorsFile::open(model());
    std::vector<std::pair<std::string, Tensor>> tensors;
    for (const auto& info : full->tensors())
      if (keep(info.name)) tensors.emplace_back(info.name.substr(strip.size()), full->load(info.name));
    io::write_safetensors(path(name), tensors, with_metadata ? full->metadata() : std::map<std::string, std::string>{});
    return path(name);
  }
  fs::path dir_;
};

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

TEST_F(CliImage, WritesPngWithMetadata) {
  const test::CliResult r = run_cli(base_args("fox.png", {{"--slg-layers", "1"}, {"--slg-scale", "2.5"}}));
  ASSERT_EQ(r.status, 0) << r.output;
  ASSERT_TRUE(fs::exists(path("fox.png"))) << "the output must be exactly the -o path";
  const auto info = video::probe_video(path("fox.png"));
  EXPECT_EQ(info.width, 64);
  EXPECT_EQ(info.height, 48);
  EXPECT_EQ(info.first_frame_rgb.size(), 64u * 48u * 3u);
  EXPECT_EQ(info.tags.at("prompt"), "a red fox in the snow, golden hour");
  EXPECT_EQ(info.tags.at("negative_prompt"), "blurry");
  EXPECT_EQ(info.tags.at("seed"), "42");
  EXPECT_EQ(info.tags.at("steps"), "3");
  EXPECT_EQ(info.tags.at("cfg"), "5");
  EXPECT_EQ(info.tags.at("sampler"), "dpmpp_2m");
  EXPECT_EQ(info.tags.at("shift"), "3");
  EXPECT_EQ(info.tags.at("slg_layers"), "1");
  EXPECT_EQ(info.tags.at("model"), "tiny_sd3.safetensors");
  EXPECT_EQ(info.tags.at("model_version"), "SD3.5 Medium");
  EXPECT_TRUE(starts_with(info.tags.at("software"), "animatediff.cpp ")) << info.tags.at("software");
  EXPECT_NE(r.output.find("SD3.5 Medium"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("defaults of sd3.5_medium"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("peak memory"), std::string::npos) << r.output;
}

TEST_F(CliImage, SameSeedSamePixels) {
  ASSERT_EQ(run_cli(base_args("a.png")).status, 0);
  ASSERT_EQ(run_cli("--threads 1 " + base_args("b.png")).status, 0);
  const test::CliResult other = run_cli(base_args("c.png", {{"--seed", "43"}, {"--sampler", "euler"}}));
  ASSERT_EQ(other.status, 0) << other.output;
  const auto a = video::probe_video(path("a.png")).first_frame_rgb;
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a, video::probe_video(path("b.png")).first_frame_rgb);
  EXPECT_NE(a, video::probe_video(path("c.png")).first_frame_rgb);
}

// Without T5 the run goes on (zero T5 rows) with a warning; the T5 given as a separate file
// gives the pixels of the single file that embeds it.
TEST_F(CliImage, T5MissingOrSeparate) {
  const auto no_t5 = subset("no_t5.safetensors", [](const std::string& n) { return !starts_with(n, "text_encoders.t5xxl."); });
  const auto t5 = subset("t5.safetensors", [](const std::string& n) { return starts_with(n, "text_encoders.t5xxl."); },
                         "text_encoders.t5xxl.transformer.", false);
  const test::CliResult without = run_cli(base_args("no_t5.png", {}, no_t5));
  ASSERT_EQ(without.status, 0) << without.output;
  EXPECT_NE(without.output.find("warning: no T5 encoder"), std::string::npos) << without.output;
  ASSERT_EQ(run_cli(base_args("full.png")).status, 0);
  const test::CliResult separate = run_cli(base_args("separate.png", {{"--t5xxl", t5}}, no_t5));
  ASSERT_EQ(separate.status, 0) << separate.output;
  EXPECT_EQ(separate.output.find("no T5"), std::string::npos) << separate.output;
  const auto full = video::probe_video(path("full.png")).first_frame_rgb;
  EXPECT_EQ(full, video::probe_video(path("separate.png")).first_frame_rgb);
  EXPECT_NE(full, video::probe_video(path("no_t5.png")).first_frame_rgb);
}

TEST_F(CliImage, ImageToImage) {
  ASSERT_EQ(run_cli(base_args("init.png")).status, 0);
  const test::CliResult r = run_cli("image --model " + model() + " --prompt \"a fox\" --steps 4 --strength 0.5 --seed 1 -q --init-image " +
                          path("init.png") + " -o " + path("out.png"));
  ASSERT_EQ(r.status, 0) << r.output;
  const auto info = video::probe_video(path("out.png"));
  EXPECT_EQ(info.width, 64);  // the init image's size
  EXPECT_EQ(info.height, 48);
  EXPECT_EQ(info.tags.at("strength"), "0.5");
  const test::CliResult wrong = run_cli(base_args("x.png", {{"--height", "64"}, {"--init-image", path("init.png")}}));
  EXPECT_NE(wrong.status, 0);
  EXPECT_NE(wrong.output.find("init image is 64x48"), std::string::npos) << wrong.output;
}

TEST_F(CliImage, ClearErrorsBeforeCompute) {
  const auto expect_error = [&](const std::string& args, const std::string& fragment) {
    const test::CliResult r = run_cli(args);
    EXPECT_NE(r.status, 0) << args;
    EXPECT_NE(r.output.find(fragment), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("denoise"), std::string::npos) << r.output;
  };
  expect_error(base_args("x.png", {{"--width", "60"}}), "--width 60: must be a positive multiple of 16");
  expect_error(base_args("x.png", {{"--slg-layers", "7,8,9"}}), "block 7 does not exist; this SD3.5 Medium model has 3 joint blocks");
  expect_error(base_args("x.png", {{"--sampler", "heun"}}), "heun");
  expect_error(base_args("x.png", {{"--strength", "1.5"}}), "--strength 1.5");
  expect_error(base_args("x.jpg"), "must be a .png file");
  expect_error(base_args("x.png", {{"--width", "256"}, {"--height", "256"}}), "at most 128x128 pixels");
  const std::string sd15 = test::data_dir() + "/tiny_sd15/tiny_sd15.safetensors";
  expect_error(base_args("x.png", {}, sd15), sd15 + ": detected as SD1.x checkpoint");
  expect_error(base_args("x.png", {{"--t5xxl", sd15}}), "given as --t5xxl but it holds no T5 encoder");
  const auto no_clip_l =
      subset("no_clip_l.safetensors", [](const std::string& n) { return !starts_with(n, "text_encoders.clip_l."); });
  expect_error(base_args("x.png", {}, no_clip_l), "no CLIP-L text encoder in this model; pass --clip-l FILE");
}

TEST(ImageDefaults, FollowSd3InferConfigs) {
  std::string name;
  const ImageSettings medium = image_defaults("SD3.5 Medium", false, &name);
  EXPECT_EQ(name, "sd3.5_medium");
  EXPECT_EQ(medium.steps, 50);
  EXPECT_EQ(medium.cfg, 5.0);
  EXPECT_EQ(medium.sampler, "dpmpp_2m");
  EXPECT_EQ(medium.shift, 3.0);
  EXPECT_EQ(medium.slg_scale, 2.5);
  EXPECT_EQ(medium.slg_layers, (std::vector<int>{7, 8, 9}));
  const ImageSettings large = image_defaults("SD3.5 Large", false, &name);
  EXPECT_EQ(name, "sd3.5_large");
  EXPECT_EQ(large.steps, 40);
  EXPECT_EQ(large.cfg, 4.5);
  EXPECT_EQ(large.slg_scale, 0.0);
  const ImageSettings turbo = image_defaults("SD3.5 Large", true, &name);
  EXPECT_EQ(name, "sd3.5_large_turbo");
  EXPECT_EQ(turbo.steps, 4);
  EXPECT_EQ(turbo.cfg, 1.0);
  EXPECT_EQ(turbo.sampler, "euler");
  const ImageSettings sd3 = image_defaults("SD3 Medium", false, &name);
  EXPECT_EQ(name, "sd3_medium");
  EXPECT_EQ(sd3.shift, 1.0);
  EXPECT_EQ(sd3.steps, 50);
  EXPECT_THROW(image_defaults("SDXL", false), Error);
}

TEST(ImageDefaults, SetOptionsOverrideDefaults) {
  ImageParams p;
  p.steps = 12;
  p.slg_scale = 0.0;
  std::vector<std::string> defaulted;
  const ImageSettings s = p.resolve(image_defaults("SD3.5 Medium", false), &defaulted);
  EXPECT_EQ(s.steps, 12);
  EXPECT_EQ(s.slg_scale, 0.0);
  EXPECT_EQ(s.cfg, 5.0);
  EXPECT_EQ(std::count(defaulted.begin(), defaulted.end(), "steps"), 0);
  EXPECT_EQ(std::count(defaulted.begin(), defaulted.end(), "cfg"), 1);
}

}  // namespace
}  // namespace ad

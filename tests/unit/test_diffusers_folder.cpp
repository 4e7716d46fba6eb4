// diffusers folders assembled in a temporary directory from the fixture files: a root with
// model_index.json, plain / sharded / fp16-variant weights, weight-less components, and broken
// shard indexes.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <unistd.h>

#include "io/diffusers_folder.h"
#include "io/inspect.h"
#include "io/safetensors.h"
#include "io/sharded_file.h"
#include "support/test_util.h"

namespace ad::io {
namespace {

namespace fs = std::filesystem;

std::string fixture(const std::string& rel) { return test::data_dir() + "/fixtures/animatediff/" + rel; }

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

class DiffusersFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("ad_diffusers_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    write_text(root_ / "model_index.json",
               R"({"_class_name": "AnimateDiffPipeline", "_diffusers_version": "0.32.2",
                   "unet": ["diffusers", "UNet2DConditionModel"], "vae": ["diffusers", "AutoencoderKL"],
                   "text_encoder": ["transformers", "CLIPTextModel"], "scheduler": ["diffusers", "DDIMScheduler"],
                   "tokenizer": ["transformers", "CLIPTokenizer"], "feature_extractor": [null, null],
                   "motion_adapter": ["diffusers", "MotionAdapter"]})");
    fs::create_directories(root_ / "unet");
    fs::copy_file(fixture("unet_sd15/config_diffusers.json"), root_ / "unet/config.json");
    fs::copy_file(fixture("unet_sd15/weights_diffusers.safetensors"), root_ / "unet/diffusion_pytorch_model.safetensors");
    fs::create_directories(root_ / "text_encoder");
    fs::copy_file(fixture("clip_l_sd15/config_diffusers.json"), root_ / "text_encoder/config.json");
    fs::copy_file(fixture("clip_l_sd15/weights_diffusers.safetensors"), root_ / "text_encoder/model.fp16.safetensors");
    fs::create_directories(root_ / "vae");
    fs::copy_file(fixture("vae_sd15/config_diffusers.json"), root_ / "vae/config.json");
    write_shards(fixture("vae_sd15/weights_diffusers.safetensors"), root_ / "vae");
    write_text(root_ / "scheduler/scheduler_config.json", R"({"_class_name": "DDIMScheduler", "steps_offset": 1})");
    write_text(root_ / "tokenizer/vocab.json", "{}");
  }
  void TearDown() override { fs::remove_all(root_); }

  // Splits a safetensors file in two shards plus diffusion_pytorch_model.safetensors.index.json.
  static void write_shards(const std::string& source, const fs::path& dir) {
    auto file = SafetensorsFile::open(source);
    std::vector<std::pair<std::string, Tensor>> halves[2];
    nlohmann::json index;
    index["metadata"] = {{"total_size", 1234}};
    const char* names[2] = {"diffusion_pytorch_model-00001-of-00002.safetensors",
                            "diffusion_pytorch_model-00002-of-00002.safetensors"};
    for (size_t i = 0; i < file->tensors().size(); ++i) {
      const std::string& name = file->tensors()[i].name;
      const size_t half = i < file->tensors().size() / 2 ? 0 : 1;
      halves[half].emplace_back(name, file->load(name));
      index["weight_map"][name] = names[half];
    }
    for (int h = 0; h < 2; ++h) write_safetensors((dir / names[h]).string(), halves[h]);
    write_text(dir / "diffusion_pytorch_model.safetensors.index.json", index.dump(2));
  }

  fs::path root_;
};

void expect_same_tensors(const TensorFile& got, const std::string& source) {
  auto want = SafetensorsFile::open(source);
  ASSERT_EQ(got.tensors().size(), want->tensors().size());
  for (const auto& info : want->tensors()) {
    ASSERT_NE(got.find(info.name), nullptr) << info.name;
    const Tensor a = got.load(info.name).contiguous();
    const Tensor b = want->load(info.name).contiguous();
    ASSERT_EQ(a.nbytes(), b.nbytes()) << info.name;
    EXPECT_EQ(std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()), 0) << info.name;
  }
}

TEST_F(DiffusersFolder, ListsComponentsThatExist) {
  EXPECT_TRUE(is_diffusers_folder(root_.string()));
  EXPECT_EQ(list_diffusers_components(root_.string()),
            (std::vector<std::string>{"scheduler", "text_encoder", "tokenizer", "unet", "vae"}));
}

TEST_F(DiffusersFolder, OpensPlainShardedAndVariantWeights) {
  auto unet = open_diffusers_component(root_.string(), "unet");
  ASSERT_TRUE(unet && unet->weights);
  EXPECT_EQ(unet->config["_class_name"], "UNet2DConditionModel");
  expect_same_tensors(*unet->weights, fixture("unet_sd15/weights_diffusers.safetensors"));

  auto vae = open_diffusers_component(root_.string(), "vae");
  ASSERT_TRUE(vae && vae->weights);
  EXPECT_EQ(vae->weights->format(), "sharded safetensors");
  EXPECT_EQ(vae->weights->metadata().at("total_size"), "1234");
  expect_same_tensors(*vae->weights, fixture("vae_sd15/weights_diffusers.safetensors"));

  auto text = open_diffusers_component(root_.string(), "text_encoder");
  ASSERT_TRUE(text && text->weights);
  EXPECT_NE(text->weights->path().find("model.fp16.safetensors"), std::string::npos);

  auto scheduler = open_diffusers_component(root_.string(), "scheduler");
  ASSERT_TRUE(scheduler);
  EXPECT_EQ(scheduler->weights, nullptr);
  EXPECT_EQ(scheduler->config["steps_offset"], 1);
  EXPECT_FALSE(open_diffusers_component(root_.string(), "transformer"));
}

TEST_F(DiffusersFolder, SingleComponentFolder) {
  const std::string unet_dir = (root_ / "unet").string();
  EXPECT_TRUE(is_diffusers_folder(unet_dir));
  EXPECT_EQ(list_diffusers_components(unet_dir), std::vector<std::string>{"unet"});
  auto self = open_diffusers_component(unet_dir, "");
  ASSERT_TRUE(self && self->weights);
  EXPECT_EQ(self->name, "unet");
  EXPECT_TRUE(open_diffusers_component(unet_dir, "unet"));
  EXPECT_FALSE(open_diffusers_component(unet_dir, "vae"));
}

TEST_F(DiffusersFolder, InspectReportsEveryComponent) {
  const InspectReport report = inspect_path(root_.string());
  EXPECT_EQ(report.format, "diffusers");
  EXPECT_EQ(report.class_name, "AnimateDiffPipeline");
  EXPECT_EQ(report.model.family, ModelFamily::Unet);
  ASSERT_EQ(report.components.size(), 5u);
  int64_t parameters = 0;
  for (const auto& c : report.components) parameters += c.parameters;
  EXPECT_EQ(report.parameters, parameters);
  EXPECT_EQ(report.components[4].name, "vae");
  EXPECT_EQ(report.components[4].model.family, ModelFamily::Vae);
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST_F(DiffusersFolder, BrokenShardIndexesAreRefused) {
  const fs::path index = root_ / "vae/diffusion_pytorch_model.safetensors.index.json";
  nlohmann::json json = read_json_file(index.string());
  const auto open_vae = [&] { open_diffusers_component(root_.string(), "vae"); };

  nlohmann::json missing = json;
  missing["weight_map"]["decoder.conv_in.weight"] = "nope-00003.safetensors";
  write_text(index, missing.dump());
  EXPECT_NE(error_of(open_vae).find("shard 'nope-00003.safetensors' (of tensor 'decoder.conv_in.weight') does not exist"),
            std::string::npos)
      << error_of(open_vae);

  nlohmann::json wrong = json;
  wrong["weight_map"]["decoder.conv_in.weight"] = "diffusion_pytorch_model-00002-of-00002.safetensors";
  wrong["weight_map"]["not.a.tensor"] = "diffusion_pytorch_model-00002-of-00002.safetensors";
  write_text(index, wrong.dump());
  EXPECT_NE(error_of(open_vae).find("is listed in shard 'diffusion_pytorch_model-00002-of-00002.safetensors' but that "
                                    "file has no such tensor"),
            std::string::npos)
      << error_of(open_vae);

  nlohmann::json escape = json;
  escape["weight_map"]["decoder.conv_in.weight"] = "../unet/diffusion_pytorch_model.safetensors";
  write_text(index, escape.dump());
  EXPECT_NE(error_of(open_vae).find("is not a plain file name"), std::string::npos) << error_of(open_vae);

  write_text(index, "{\"weight_map\": ");
  EXPECT_NE(error_of(open_vae).find(index.string() + ": not valid JSON"), std::string::npos) << error_of(open_vae);

  write_text(root_ / "unet/config.json", "[1, 2");
  EXPECT_NE(error_of([&] { open_diffusers_component(root_.string(), "unet"); }).find("unet/config.json: not valid JSON"),
            std::string::npos);
}

}  // namespace
}  // namespace ad::io

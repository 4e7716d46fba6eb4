// Model-family detection on the fixture checkpoints, on synthetic key lists for the families
// without a fixture, and `animatediff inspect --json` end to end.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>

#include "io/inspect.h"
#include "io/model_detect.h"
#include "support/test_util.h"

namespace ad::io {
namespace {

struct DetectCase {
  const char* file;  // under tests/data/fixtures
  ModelFamily family;
  const char* version;
  const char* parts;  // comma-separated
};

const DetectCase kFixtureCases[] = {
    {"../tiny_sd15/tiny_sd15.safetensors", ModelFamily::Sd1Checkpoint, "SD1.x", "unet,vae,text_encoder"},
    {"animatediff/unet_sd15/weights.safetensors", ModelFamily::Sd1Checkpoint, "SD1.x", "unet"},
    {"animatediff/vae_sd15/weights.safetensors", ModelFamily::Sd1Checkpoint, "SD1.x", "vae"},
    {"animatediff/clip_l_sd15/weights.safetensors", ModelFamily::Sd1Checkpoint, "SD1.x", "text_encoder"},
    {"animatediff/unet_sd15/weights_diffusers.safetensors", ModelFamily::Unet, "SD1.x", "unet"},
    {"animatediff/vae_sd15/weights_diffusers.safetensors", ModelFamily::Vae, "SD1.x / SD2.x", "encoder,decoder"},
    {"animatediff/clip_l_sd15/weights_diffusers.safetensors", ModelFamily::ClipText, "", ""},
    {"animatediff/motion_module_v1/motion_module.ckpt", ModelFamily::MotionModule, "v1", ""},
    {"animatediff/motion_module_v2/motion_module.ckpt", ModelFamily::MotionModule, "v2", ""},
    {"animatediff/motion_module_v2/motion_module.safetensors", ModelFamily::MotionModule, "v2", ""},
    {"animatediff/motion_module_v3/motion_module.safetensors", ModelFamily::MotionModule, "v3", ""},
    {"animatediff/motion_module_v2/weights_diffusers.safetensors", ModelFamily::MotionAdapter, "v2", ""},
    {"sd3/mmdit_sd3_medium/weights.safetensors", ModelFamily::Sd3Checkpoint, "SD3 Medium", "mmdit"},
    {"sd3/mmdit_sd35_medium/weights.safetensors", ModelFamily::Sd3Checkpoint, "SD3.5 Medium", "mmdit"},
    {"sd3/mmdit_sd35_large/weights.safetensors", ModelFamily::Sd3Checkpoint, "SD3.5 Large", "mmdit"},
    {"sd3/mmdit_sd3_medium/weights_diffusers.safetensors", ModelFamily::Sd3Transformer, "SD3 Medium", ""},
    {"sd3/mmdit_sd35_medium/weights_diffusers.safetensors", ModelFamily::Sd3Transformer, "SD3.5 Medium", ""},
    {"sd3/mmdit_sd35_large/weights_diffusers.safetensors", ModelFamily::Sd3Transformer, "SD3.5 Large", ""},
    {"sd3/vae_sd3_decoder/weights.safetensors", ModelFamily::Sd3Vae, "SD3", "decoder"},
    {"sd3/vae_sd3_encoder/weights.safetensors", ModelFamily::Sd3Vae, "SD3", "encoder"},
    {"sd3/clip_l/weights.safetensors", ModelFamily::ClipText, "", ""},
    {"sd3/clip_g/weights.safetensors", ModelFamily::ClipText, "", ""},
    {"sd3/t5_xxl/weights.safetensors", ModelFamily::T5Encoder, "", ""},
};

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : ",") + p;
  return out;
}

class DetectFixture : public ::testing::TestWithParam<DetectCase> {};

TEST_P(DetectFixture, FamilyVersionParts) {
  const DetectCase& c = GetParam();
  const InspectReport report = inspect_path(test::data_dir() + "/fixtures/" + c.file);
  EXPECT_EQ(model_family_id(report.model.family), model_family_id(c.family)) << c.file;
  EXPECT_EQ(report.model.version, c.version) << c.file;
  EXPECT_EQ(join(report.model.parts), c.parts) << c.file;
  EXPECT_TRUE(report.model.supported) << c.file;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, DetectFixture, ::testing::ValuesIn(kFixtureCases),
                         [](const ::testing::TestParamInfo<DetectCase>& param) {
                           std::string name = param.param.file;
                           for (char& ch : name)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return name;
                         });

std::vector<TensorInfo> infos(std::initializer_list<std::pair<const char*, Shape>> list) {
  std::vector<TensorInfo> out;
  for (const auto& [name, shape] : list) out.push_back(TensorInfo{name, DType::F32, shape});
  return out;
}

TEST(DetectModel, UnsupportedFamilies) {
  const auto sdxl = detect_model(infos({{"conditioner.embedders.0.transformer.text_model.x.weight", {4}},
                                        {"model.diffusion_model.input_blocks.0.0.weight", {4}}}));
  EXPECT_EQ(sdxl.family, ModelFamily::SdxlCheckpoint);
  EXPECT_FALSE(sdxl.supported);
  const auto sd2 = detect_model(infos({{"cond_stage_model.model.transformer.resblocks.0.ln_1.weight", {1024}},
                                       {"model.diffusion_model.input_blocks.0.0.weight", {4}}}));
  EXPECT_EQ(sd2.family, ModelFamily::Sd2Checkpoint);
  EXPECT_FALSE(sd2.supported);
  const auto sdxl_mm = detect_model(infos({{"down_blocks.0.motion_modules.0.temporal_transformer.norm.weight", {320}},
                                           {"up_blocks.2.motion_modules.0.temporal_transformer.norm.weight", {320}}}));
  EXPECT_EQ(sdxl_mm.version, "SDXL beta");
  EXPECT_FALSE(sdxl_mm.supported);
  EXPECT_EQ(detect_model({}).family, ModelFamily::Unknown);
}

TEST(DetectModel, Sd3CheckpointWithTextEncoders) {
  const auto d = detect_model(infos({{"model.diffusion_model.joint_blocks.0.x_block.attn.qkv.weight", {96, 32}},
                                     {"model.diffusion_model.joint_blocks.0.x_block.attn.ln_q.weight", {16}},
                                     {"text_encoders.clip_l.transformer.text_model.final_layer_norm.weight", {768}},
                                     {"text_encoders.clip_g.transformer.text_model.final_layer_norm.weight", {1280}},
                                     {"text_encoders.t5xxl.transformer.shared.weight", {32128, 4096}},
                                     {"first_stage_model.decoder.conv_in.weight", {512, 16, 3, 3}}}));
  EXPECT_EQ(d.family, ModelFamily::Sd3Checkpoint);
  EXPECT_EQ(d.version, "SD3.5 Large");
  EXPECT_EQ(join(d.parts), "mmdit,clip_l,clip_g,t5xxl,vae");
}

TEST(DetectModel, RealSizeTextEncoders) {
  EXPECT_EQ(detect_model(infos({{"text_model.embeddings.token_embedding.weight", {49408, 768}},
                                {"text_model.encoder.layers.0.mlp.fc1.weight", {3072, 768}}}))
                .version,
            "CLIP-L");
  EXPECT_EQ(detect_model(infos({{"text_model.embeddings.token_embedding.weight", {49408, 1280}},
                                {"text_model.encoder.layers.0.mlp.fc1.weight", {5120, 1280}}}))
                .version,
            "CLIP-G");
}

TEST(InspectCli, JsonOutputParses) {
  const std::string file = test::data_dir() + "/fixtures/animatediff/motion_module_v2/motion_module.ckpt";
  const std::string command = fmt::format("'{}' inspect --json '{}'", test::cli_path(), file);
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen(command.c_str(), "r"), pclose);
  ASSERT_TRUE(pipe) << command;
  std::string output;
  std::array<char, 4096> buffer{};
  for (size_t n; (n = fread(buffer.data(), 1, buffer.size(), pipe.get())) > 0;) output.append(buffer.data(), n);
  const int status = pclose(pipe.release());
  ASSERT_EQ(status, 0) << command;
  const nlohmann::json json = nlohmann::json::parse(output);
  EXPECT_EQ(json["format"], "pytorch");
  EXPECT_EQ(json["model"]["family"], "motion_module");
  EXPECT_EQ(json["model"]["version"], "v2");
  EXPECT_EQ(json["tensors"].size(), 588u);
  EXPECT_EQ(json["dtypes"][0]["dtype"], "F32");
  int64_t parameters = 0;
  for (const auto& t : json["tensors"]) {
    int64_t n = 1;
    for (const auto& d : t["shape"]) n *= d.get<int64_t>();
    parameters += n;
  }
  EXPECT_EQ(json["parameters"].get<int64_t>(), parameters);
  EXPECT_EQ(parameters - 42 * 32 * 32, 487200) << "the README's count excludes the 42 pos_encoder.pe tables";
}

TEST(InspectCli, MissingFileFails) {
  const std::string command = fmt::format("'{}' inspect /nonexistent/file.safetensors 2>/dev/null", test::cli_path());
  EXPECT_NE(std::system(command.c_str()), 0);
}

}  // namespace
}  // namespace ad::io

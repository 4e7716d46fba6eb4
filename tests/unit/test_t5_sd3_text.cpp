// SD3 text encoders beyond the fixtures' own files: the OpenCLIP key map (fused in_proj,
// transposed text_projection) and the SD3 single-file layout, each rebuilt from the fixture
// weights and compared with the HF-named original; the conditioning's no-T5 shapes.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "io/safetensors.h"
#include "models/clip/openclip_keys.h"
#include "models/sd3_text/sd3_conditioning.h"
#include "support/test_util.h"

namespace ad {
namespace {

namespace fs = std::filesystem;
using TensorList = std::vector<std::pair<std::string, Tensor>>;

std::string sd3_fixture(const std::string& rel) { return test::data_dir() + "/fixtures/sd3/" + rel; }

TensorList read_all(const std::string& path) {
  const auto file = io::open_tensor_file(path);
  TensorList tensors;
  for (const auto& info : file->tensors()) tensors.emplace_back(info.name, file->load(info.name));
  return tensors;
}

std::string write_temp(const std::string& name, const TensorList& tensors) {
  const fs::path dir = fs::temp_directory_path() / "ad_test_sd3_text";
  fs::create_directories(dir);
  const std::string path = (dir / name).string();
  io::write_safetensors(path, tensors);
  return path;
}

models::Sd3TextEncoderSource source_of(const std::string& path, int64_t heads) {
  models::Sd3TextEncoderSource source;
  source.file = io::open_tensor_file(path);
  source.heads = heads;
  return source;
}

// The HF-named CLIP weights of `path` renamed and fused as open_clip stores them.
TensorList to_openclip(const TensorList& hf, const std::string& prefix) {
  std::map<std::string, Tensor> by_name(hf.begin(), hf.end());
  TensorList out;
  const std::string layers = "text_model.encoder.layers.";
  for (const auto& [name, t] : hf) {
    if (name == "text_projection.weight") out.emplace_back(prefix + "text_projection", t.transpose(0, 1).contiguous());
    if (name.rfind(layers, 0) != 0) continue;
    const size_t dot = name.find('.', layers.size());
    const std::string index = name.substr(layers.size(), dot - layers.size());
    const std::string rest = name.substr(dot + 1);
    const std::string block = prefix + "transformer.resblocks." + index + ".";
    if (rest == "self_attn.q_proj.weight" || rest == "self_attn.q_proj.bias") {
      const std::string leaf = rest.substr(rest.rfind('.') + 1);
      const std::string base = layers + index + ".self_attn.";
      out.emplace_back(block + (leaf == "weight" ? "attn.in_proj_weight" : "attn.in_proj_bias"),
                       ops::concat({by_name[base + "q_proj." + leaf], by_name[base + "k_proj." + leaf],
                                    by_name[base + "v_proj." + leaf]}, 0));
    }
  }
  for (const auto& [name, t] : hf) {
    if (name == "text_projection.weight") continue;
    // The inverse of the one-to-one renames: find the OpenCLIP name that maps onto `name`.
    for (const char* candidate : {"token_embedding.weight", "positional_embedding", "ln_final.weight", "ln_final.bias"})
      if (models::openclip_to_hf(candidate) == name) out.emplace_back(prefix + candidate, t);
    if (name.rfind(layers, 0) != 0) continue;
    const size_t dot = name.find('.', layers.size());
    const std::string index = name.substr(layers.size(), dot - layers.size());
    for (const char* part : {"ln_1.", "ln_2.", "attn.out_proj.", "mlp.c_fc.", "mlp.c_proj."})
      for (const char* leaf : {"weight", "bias"}) {
        const std::string candidate = "transformer.resblocks." + index + "." + part + leaf;
        if (models::openclip_to_hf(candidate) == name) out.emplace_back(prefix + candidate, t);
      }
  }
  out.emplace_back(prefix + "logit_scale", Tensor::full(Shape{}, 4.6f));
  out.emplace_back(prefix + "visual.proj", Tensor::zeros(Shape{4, 4}));
  return out;
}

void expect_same_outputs(const models::ClipTextModel& a, const models::ClipTextModel& b, const Tensor& ids) {
  const auto x = a.forward(ids), y = b.forward(ids);
  EXPECT_LE(test::compare(x.penultimate, y.penultimate).max_abs, 1e-6);
  EXPECT_LE(test::compare(x.last_hidden, y.last_hidden).max_abs, 1e-6);
  EXPECT_LE(test::compare(x.pooled_projected, y.pooled_projected).max_abs, 1e-6);
}

TEST(Sd3TextKeys, OpenClipLayoutMatchesHfLayout) {
  const std::string hf_path = sd3_fixture("clip_g/weights.safetensors");
  const Tensor ids = io::SafetensorsFile::open(sd3_fixture("clip_g/io.safetensors"))->load("in.ids");
  const auto hf = models::load_sd3_clip(source_of(hf_path, 2), models::ClipSlot::G);
  for (const std::string& prefix : {std::string(""), std::string("conditioner.embedders.1.model.")}) {
    TensorList tensors = to_openclip(read_all(hf_path), prefix);
    if (!prefix.empty()) tensors.emplace_back("model.diffusion_model.other", Tensor::zeros(Shape{2}));
    const std::string path = write_temp("openclip_g.safetensors", tensors);
    const auto root = models::find_clip_root(*io::open_tensor_file(path), models::ClipSlot::G);
    ASSERT_TRUE(root.has_value());
    EXPECT_EQ(root->prefix, prefix);
    EXPECT_EQ(root->layout, models::ClipKeyLayout::OpenClip);
    const auto openclip = models::load_sd3_clip(source_of(path, 2), models::ClipSlot::G);
    expect_same_outputs(hf, openclip, ids);
    fs::remove(path);
  }
}

TEST(Sd3TextKeys, SingleFileLayout) {
  TensorList tensors;
  for (const auto& [part, dir] : {std::pair<std::string, std::string>{"clip_l", "clip_l"}, {"clip_g", "clip_g"},
                                  {"t5xxl", "t5_xxl"}})
    for (auto& [name, t] : read_all(sd3_fixture(dir + "/weights.safetensors")))
      tensors.emplace_back("text_encoders." + part + ".transformer." + name, t);
  tensors.emplace_back("model.diffusion_model.x_embedder.proj.weight", Tensor::zeros(Shape{2, 2}));
  const std::string path = write_temp("sd3_single.safetensors", tensors);
  auto files = models::Sd3TextEncoderFiles::from_single_file(io::open_tensor_file(path));
  files.clip_l.heads = files.clip_g.heads = 2;
  const auto encoders = models::Sd3TextEncoders::load(files);
  ASSERT_TRUE(encoders.t5.has_value());

  const auto io = io::SafetensorsFile::open(sd3_fixture("conditioning_sd3/io.safetensors"));
  models::Sd3TokenIds ids{io->load("in.cond_ids_l"), io->load("in.cond_ids_g"), io->load("in.cond_ids_t5")};
  const auto cond = models::sd3_conditioning(encoders, ids);
  EXPECT_LE(test::compare(cond.context, io->load("out.cond_context")).max_abs, 2e-5);
  EXPECT_LE(test::compare(cond.pooled, io->load("out.cond_pooled")).max_abs, 2e-5);

  // Without T5 the width cannot come from T5: 4096 unless given.
  ids.t5 = Tensor();
  EXPECT_EQ(models::sd3_conditioning(encoders, ids).context.shape(), (Shape{1, 77, 4096}));
  models::Sd3ConditioningOptions diffusers;
  diffusers.no_t5 = models::Sd3NoT5Context::ZeroRows;
  EXPECT_EQ(models::sd3_conditioning(encoders, ids, diffusers).context.shape(), (Shape{1, 154, 4096}));
  fs::remove(path);
}

TEST(Sd3TextKeys, SingleFileWithoutClipIsAnError) {
  const std::string path = write_temp("sd3_no_clip.safetensors", {{"model.diffusion_model.x", Tensor::zeros(Shape{2})}});
  try {
    models::Sd3TextEncoderFiles::from_single_file(io::open_tensor_file(path));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("CLIP-L"), std::string::npos) << e.what();
  }
  fs::remove(path);
}

}  // namespace
}  // namespace ad

// PyTorch checkpoints: the ZIP container, the restricted unpickler and PytorchFile, on the real
// torch.save fixtures and on the small files of tools/make_test_checkpoints.py.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>

#include "io/pytorch_file.h"
#include "io/pytorch_zip.h"
#include "io/safetensors.h"
#include "io/unpickler.h"
#include "support/test_util.h"

namespace ad::io {
namespace {

std::string fixture(const std::string& rel) { return test::data_dir() + "/fixtures/animatediff/" + rel; }
std::string checkpoint(const std::string& rel) { return test::data_dir() + "/checkpoints/" + rel; }

using test::read_bytes;

std::span<const std::byte> as_bytes(std::string_view text) {
  return {reinterpret_cast<const std::byte*>(text.data()), text.size()};
}

// Same names (in the same order when `ordered`), dtypes and shapes; bit-identical elements.
void expect_same_tensors(const TensorFile& got, const TensorFile& want, bool ordered) {
  ASSERT_EQ(got.tensors().size(), want.tensors().size()) << got.path() << " vs " << want.path();
  for (size_t i = 0; i < want.tensors().size(); ++i) {
    const TensorInfo& w = want.tensors()[i];
    if (ordered) {
      EXPECT_EQ(got.tensors()[i].name, w.name) << "tensor #" << i;
    }
    const TensorInfo* found = got.find(w.name);
    ASSERT_NE(found, nullptr) << w.name << " is missing from " << got.path();
    const TensorInfo& g = *found;
    EXPECT_EQ(g.dtype, w.dtype) << w.name;
    EXPECT_EQ(g.shape, w.shape) << w.name;
    const Tensor a = got.load(w.name).contiguous();
    const Tensor b = want.load(w.name).contiguous();
    ASSERT_EQ(a.nbytes(), b.nbytes()) << w.name;
    EXPECT_EQ(std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()), 0) << w.name << " differs";
  }
}

TEST(PytorchFile, MotionModuleV2MatchesSafetensors) {
  auto ckpt = open_tensor_file(fixture("motion_module_v2/motion_module.ckpt"));
  auto st = open_tensor_file(fixture("motion_module_v2/motion_module.safetensors"));
  EXPECT_EQ(ckpt->format(), "pytorch");
  EXPECT_EQ(ckpt->tensors().size(), 588u);
  expect_same_tensors(*ckpt, *st, false);
}

TEST(PytorchFile, MotionModuleV1IsZeroCopy) {
  auto file = PytorchFile::open(fixture("motion_module_v1/motion_module.ckpt"));
  EXPECT_EQ(file->archive_prefix(), "motion_module/");
  EXPECT_EQ(file->tensors().size(), 560u);
  const std::string pe =
      "down_blocks.0.motion_modules.0.temporal_transformer.transformer_blocks.0.attention_blocks.0.pos_encoder.pe";
  ASSERT_NE(file->find(pe), nullptr);
  EXPECT_EQ(file->find(pe)->shape, (Shape{1, 24, 32}));
  const Tensor t = file->load(pe);
  EXPECT_TRUE(t.is_contiguous());
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw_data()) % 64, 0u) << "torch aligns storages to 64 bytes";
  EXPECT_EQ(t.storage()->bytes, t.nbytes()) << "a view of the storage entry, not a copy";
}

// Every ZIP flavour of the tiny state dict reads the same tensors as tiny.safetensors.
class TinyCheckpoint : public ::testing::TestWithParam<const char*> {};

TEST_P(TinyCheckpoint, MatchesSafetensors) {
  auto file = open_tensor_file(checkpoint(std::string("valid/") + GetParam()));
  auto want = open_tensor_file(checkpoint("valid/tiny.safetensors"));
  EXPECT_EQ(file->format(), "pytorch");
  expect_same_tensors(*file, *want, true);
  const Tensor t = file->load("model.weight_t");
  EXPECT_EQ(t.strides(), (Strides{1, 3})) << "a transposed view keeps its strides";
  EXPECT_DOUBLE_EQ(t.item(std::vector<int64_t>{2, 1}), 1.0 * 0.5 * 5 - 2.0);  // weight[1][2] = w[5]
  EXPECT_DOUBLE_EQ(file->load("model.bias_tail").item(std::vector<int64_t>{1}), 3.0);
  EXPECT_DOUBLE_EQ(file->load("scalar.w").item(), 42.0);
}

INSTANTIATE_TEST_SUITE_P(Flavours, TinyCheckpoint,
                         ::testing::Values("tiny.ckpt", "tiny_zip64.ckpt", "tiny_deflated.ckpt",
                                           "tiny_misaligned.ckpt", "tiny_plain.pt"));

TEST(PytorchFile, WrapperSiblingsAreMetadata) {
  auto file = PytorchFile::open(checkpoint("valid/tiny.ckpt"));
  const auto& meta = file->metadata();
  ASSERT_TRUE(meta.count("global_step"));
  EXPECT_EQ(meta.at("global_step"), "1234") << "a numpy int64 scalar";
  EXPECT_EQ(meta.at("epoch"), "7");
  EXPECT_EQ(meta.at("animatediff_config"), "{'use_inflated_groupnorm': True, 'name': 'tiny'}");
  EXPECT_EQ(file->find("state_dict.model.weight"), nullptr) << "the wrapper is not part of the names";
  // Views of one stored storage share it.
  EXPECT_EQ(file->load("model.weight").storage()->data, file->load("model.weight_t").storage()->data);
}

TEST(PytorchFile, PlainDictKeepsNonTensorEntriesAsMetadata) {
  auto file = PytorchFile::open(checkpoint("valid/tiny_plain.pt"));
  EXPECT_EQ(file->archive_prefix(), "archive/");
  EXPECT_EQ(file->metadata().at("animatediff_config"), "{'pe_len': 32}");
  EXPECT_EQ(file->find("animatediff_config"), nullptr);
}

TEST(PytorchFile, MisalignedStoragesAreCopiedAligned) {
  auto file = PytorchFile::open(checkpoint("valid/tiny_misaligned.ckpt"));
  for (const auto& info : file->tensors()) {
    const Tensor t = file->load(info.name);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(t.storage()->data) % dtype_size(t.dtype()), 0u) << info.name;
  }
}

TEST(PytorchFile, LegacyFormatIsRefused) {
  try {
    open_tensor_file(checkpoint("hostile/legacy.pt"));
    FAIL() << "legacy file accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("legacy PyTorch format; re-save with torch>=1.6 or convert to safetensors"),
              std::string::npos)
        << e.what();
  }
}

TEST(ZipArchive, ReadsDirectoryAndEntries) {
  const auto image = read_bytes(checkpoint("valid/tiny_zip64.ckpt"));
  ZipArchive zip(image, "tiny_zip64.ckpt");
  const ZipEntry* version = zip.find("tiny/version");
  ASSERT_NE(version, nullptr);
  std::vector<std::byte> buffer;
  auto data = zip.read(*version, buffer, true);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(data.data()), data.size()), "3\n");
  EXPECT_EQ(zip.find("tiny/nope"), nullptr);
  EXPECT_EQ(zip.find("tiny/data/0")->data_offset % 64, 0u);

  const auto deflated = read_bytes(checkpoint("valid/tiny_deflated.ckpt"));
  ZipArchive dz(deflated, "tiny_deflated.ckpt");
  const ZipEntry* pkl = dz.find("tiny/data.pkl");
  ASSERT_NE(pkl, nullptr);
  EXPECT_EQ(pkl->method, 8);
  EXPECT_EQ(dz.read(*pkl, buffer, true).size(), pkl->uncompressed_size);
}

TEST(Unpickler, Protocol4Values) {
  // pickle.dumps({'a': [1, 2.5, None, True, b'xy', (3,), -70000, 2**40, 'hé']}, protocol=4)
  const std::string_view bytes(
      "\x80\x04\x95\x35\x00\x00\x00\x00\x00\x00\x00\x7d\x94\x8c\x01\x61\x94\x5d\x94\x28\x4b\x01\x47\x40\x04\x00\x00"
      "\x00\x00\x00\x00\x4e\x88\x43\x02\x78\x79\x94\x4b\x03\x85\x94\x4a\x90\xee\xfe\xff\x8a\x06\x00\x00\x00\x00\x00"
      "\x01\x8c\x03\x68\xc3\xa9\x94\x65\x73\x2e",
      65);
  const pickle::Pickle p = pickle::unpickle(as_bytes(bytes), "test.pkl");
  EXPECT_EQ(pickle::describe(p, p.root), "{'a': [1, 2.5, None, True, <2 bytes>, (3,), -70000, 1099511627776, 'hé']}");
}

TEST(Unpickler, Protocol5Values) {
  // pickle.dumps([bytearray(b'ab'), (1, 2), (1, 2, 3), {}], protocol=5)
  const std::string_view bytes(
      "\x80\x05\x95\x21\x00\x00\x00\x00\x00\x00\x00\x5d\x94\x28\x96\x02\x00\x00\x00\x00\x00\x00\x00\x61\x62\x94\x4b"
      "\x01\x4b\x02\x86\x94\x4b\x01\x4b\x02\x4b\x03\x87\x94\x7d\x94\x65\x2e",
      44);
  const pickle::Pickle p = pickle::unpickle(as_bytes(bytes), "test.pkl");
  EXPECT_EQ(pickle::describe(p, p.root), "[<2 bytes>, (1, 2), (1, 2, 3), {}]");
}

TEST(Unpickler, RealCheckpointPickle) {
  const auto image = read_bytes(fixture("motion_module_v2/motion_module.ckpt"));
  ZipArchive zip(image, "motion_module.ckpt");
  std::vector<std::byte> buffer;
  const pickle::Pickle p = pickle::unpickle(zip.read(*zip.find("motion_module/data.pkl"), buffer, true), "data.pkl");
  EXPECT_EQ(p.tensors.size(), 588u);
  EXPECT_EQ(p.storages.size(), 588u);
  EXPECT_EQ(p.at(p.root).kind, pickle::Kind::Dict);
}

}  // namespace
}  // namespace ad::io

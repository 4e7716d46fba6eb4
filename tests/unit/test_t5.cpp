// T5 encoder: the relative-position bucket function against an exact integer formulation,
// weights in F16 / BF16, and load errors that name the file and the tensor.
#include <gtest/gtest.h>

#include <filesystem>

#include "io/safetensors.h"
#include "models/sd3_text/sd3_text_encoders.h"
#include "support/test_util.h"

namespace ad {
namespace {

namespace fs = std::filesystem;

std::string t5_fixture(const std::string& file) { return test::data_dir() + "/fixtures/sd3/t5_xxl/" + file; }

// The bucket of T5's default 32 buckets / max distance 128 without floating point: for a = |r|
// >= 8 the large-distance offset is the largest k <= 7 with 8 * 16^(k/8) <= a, i.e.
// a^8 >= 2^(24 + 4k) (a clamped to 128, beyond which every distance is in the last bucket).
int64_t exact_bucket(int64_t r) {
  const int64_t base = r > 0 ? 16 : 0;
  const int64_t a = r < 0 ? -r : r;
  if (a < 8) return base + a;
  const uint64_t c = static_cast<uint64_t>(std::min<int64_t>(a, 128));
  uint64_t p = 1;
  for (int i = 0; i < 8; ++i) p *= c;  // <= 2^56
  int64_t k = 0;
  while (k < 7 && p >= (uint64_t{1} << (24 + 4 * (k + 1)))) ++k;
  return base + 8 + k;
}

TEST(T5Bucket, MatchesExactFormula) {
  for (int64_t r = -600; r <= 600; ++r)
    ASSERT_EQ(models::t5_relative_position_bucket(r, 32, 128), exact_bucket(r)) << "r = " << r;
}

TEST(T5Bucket, BoundaryValues) {
  // r = key - query; positive distances use the upper half.
  EXPECT_EQ(models::t5_relative_position_bucket(0, 32, 128), 0);
  EXPECT_EQ(models::t5_relative_position_bucket(-1, 32, 128), 1);
  EXPECT_EQ(models::t5_relative_position_bucket(1, 32, 128), 17);
  EXPECT_EQ(models::t5_relative_position_bucket(-7, 32, 128), 7);
  EXPECT_EQ(models::t5_relative_position_bucket(-8, 32, 128), 8);
  EXPECT_EQ(models::t5_relative_position_bucket(-15, 32, 128), 9);
  // log(|r| / 8) / log(16) * 8 is exactly 2, 4, 6 here: no truncation into the bucket below.
  EXPECT_EQ(models::t5_relative_position_bucket(-16, 32, 128), 10);
  EXPECT_EQ(models::t5_relative_position_bucket(16, 32, 128), 26);
  EXPECT_EQ(models::t5_relative_position_bucket(-32, 32, 128), 12);
  EXPECT_EQ(models::t5_relative_position_bucket(-64, 32, 128), 14);
  EXPECT_EQ(models::t5_relative_position_bucket(64, 32, 128), 30);
  EXPECT_EQ(models::t5_relative_position_bucket(-127, 32, 128), 15);
  EXPECT_EQ(models::t5_relative_position_bucket(-128, 32, 128), 15);
  EXPECT_EQ(models::t5_relative_position_bucket(5000, 32, 128), 31);
}

TEST(T5Bucket, MatchesFixtureTable) {
  const auto io = io::SafetensorsFile::open(t5_fixture("io.safetensors"));
  const Tensor table = io->load("out.bucket_by_relative_position");
  const int64_t n = (table.numel() + 1) / 2;
  for (int64_t i = 0; i < table.numel(); ++i)
    ASSERT_EQ(models::t5_relative_position_bucket(i - (n - 1), 32, 128), table.data<int64_t>()[i]) << "r = " << i - (n - 1);
}

std::vector<std::pair<std::string, Tensor>> fixture_weights() {
  const auto file = io::open_tensor_file(t5_fixture("weights.safetensors"));
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (const auto& info : file->tensors()) tensors.emplace_back(info.name, file->load(info.name));
  return tensors;
}

models::Sd3TextEncoderSource source_of(const std::string& path) {
  models::Sd3TextEncoderSource source;
  source.file = io::open_tensor_file(path);
  return source;
}

TEST(T5Encoder, ConfigFromWeights) {
  const auto model = models::load_t5(source_of(t5_fixture("weights.safetensors")));
  const auto& c = model.config();
  EXPECT_EQ(c.d_model, 80);
  EXPECT_EQ(c.inner, 80);
  EXPECT_EQ(c.d_ff, 160);
  EXPECT_EQ(c.layers, 2);
  EXPECT_EQ(c.heads, 4);
  EXPECT_EQ(c.vocab_size, 256);
  EXPECT_EQ(c.num_buckets, 32);
  const Tensor bias = model.position_bias(5, 7);
  EXPECT_EQ(bias.shape(), (Shape{1, 4, 5, 7}));
}

class T5ReducedPrecision : public ::testing::TestWithParam<DType> {};

TEST_P(T5ReducedPrecision, WeightsStayInTheirDtype) {
  const fs::path dir = fs::temp_directory_path() / "ad_test_t5";
  fs::create_directories(dir);
  const std::string path = (dir / ("t5_" + std::string(dtype_name(GetParam())) + ".safetensors")).string();
  auto tensors = fixture_weights();
  for (auto& [name, t] : tensors) t = t.to(GetParam());
  io::write_safetensors(path, tensors);
  const auto model = models::load_t5(source_of(path));
  const auto io = io::SafetensorsFile::open(t5_fixture("io.safetensors"));
  const Tensor out = model.forward(io->load("in.ids_a"));
  const auto d = test::compare(out, io->load("out.a_last_hidden"));
  // Only the rounding of the weights differs from the F32 reference.
  EXPECT_TRUE(d.finite);
  EXPECT_LT(d.rel_l2, GetParam() == DType::BF16 ? 3e-2 : 4e-3) << dtype_name(GetParam());
  fs::remove(path);
}

INSTANTIATE_TEST_SUITE_P(Dtypes, T5ReducedPrecision, ::testing::Values(DType::F16, DType::BF16),
                         [](const auto& test_info) { return std::string(dtype_name(test_info.param)); });

void expect_load_error(const std::vector<std::pair<std::string, Tensor>>& tensors, const std::string& file_name,
                       const std::string& fragment) {
  const fs::path dir = fs::temp_directory_path() / "ad_test_t5";
  fs::create_directories(dir);
  const std::string path = (dir / file_name).string();
  io::write_safetensors(path, tensors);
  try {
    models::load_t5(source_of(path));
    FAIL() << "expected an error for " << path;
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find(fragment), std::string::npos) << message;
  }
  fs::remove(path);
}

TEST(T5Encoder, WrongShapeNamesFileAndTensor) {
  auto tensors = fixture_weights();
  const std::string name = "encoder.block.1.layer.1.DenseReluDense.wo.weight";
  for (auto& [n, t] : tensors)
    if (n == name) t = Tensor::zeros(Shape{80, 100});
  expect_load_error(tensors, "t5_wrong_shape.safetensors", "'" + name + "' has wrong shape");
}

TEST(T5Encoder, MissingAndUnexpectedTensors) {
  auto tensors = fixture_weights();
  std::erase_if(tensors, [](const auto& t) { return t.first == "encoder.block.1.layer.0.SelfAttention.v.weight"; });
  expect_load_error(tensors, "t5_missing.safetensors", "encoder.block.1.layer.0.SelfAttention.v.weight");
  tensors = fixture_weights();
  tensors.emplace_back("encoder.block.0.layer.0.SelfAttention.q.scale_weight", Tensor::zeros(Shape{1}));
  expect_load_error(tensors, "t5_unexpected.safetensors", "scale_weight");
}

}  // namespace
}  // namespace ad

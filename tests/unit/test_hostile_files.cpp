// Hostile and damaged checkpoints (tests/data/checkpoints, from tools/make_test_checkpoints.py):
// each must be refused with an ad::Error that says why, or load correctly; never crash or hang.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <unistd.h>

#include "io/pytorch_file.h"
#include "io/safetensors.h"
#include "support/test_util.h"

namespace ad::io {
namespace {

std::string checkpoint(const std::string& rel) { return test::data_dir() + "/checkpoints/" + rel; }

using test::read_bytes;

// Reads every byte a tensor view covers, checking that the view lies inside its storage.
uint64_t touch(const Tensor& t) {
  if (t.numel() == 0) return 0;
  int64_t last = t.offset();
  for (int d = 0; d < t.ndim(); ++d) last += (t.dim(d) - 1) * t.stride(d);
  const size_t element = dtype_size(t.dtype());
  const size_t begin = static_cast<size_t>(t.offset()) * element;
  const size_t end = (static_cast<size_t>(last) + 1) * element;
  EXPECT_LE(end, t.storage()->bytes) << t.describe() << " reaches past its storage";
  if (end > t.storage()->bytes) return 0;
  uint64_t sum = 0;
  for (size_t i = begin; i < end; ++i) sum += static_cast<uint8_t>(t.storage()->data[i]);
  return sum;
}

void load_all(const TensorFile& file) {
  for (const auto& info : file.tensors()) touch(file.load(info.name));
}

struct HostileCase {
  const char* file;
  const char* message;  // part of the expected error
};

const HostileCase kHostileCases[] = {
    {"global_os_system.ckpt", "refused: global 'os.system' is not allowed (pickles never execute code"},
    {"global_posix_system.ckpt", "refused: global 'posix.system' is not allowed"},
    {"global_builtins_eval.ckpt", "refused: global 'builtins.eval'"},
    {"global_builtins_exec.ckpt", "refused: global 'builtins.exec'"},
    {"global_subprocess_popen.ckpt", "refused: global 'subprocess.Popen'"},
    {"global_builtin_eval.ckpt", "refused: global '__builtin__.eval'"},
    {"stack_global_os_system.ckpt", "refused: global 'os.system'"},
    {"reduce_storage_class.ckpt", "torch.FloatStorage may be named but not called"},
    {"reduce_on_string.ckpt", "a call (REDUCE/NEWOBJ) on a value that is not a global"},
    {"stride_outside_storage.ckpt", "reaches outside its storage '0' of 12 elements"},
    {"offset_outside_storage.ckpt", "reaches outside its storage"},
    {"stride_overflow.ckpt", "reaches outside its storage"},
    {"negative_stride.ckpt", "reaches outside its storage"},
    {"storage_size_mismatch.ckpt", "storage '0' holds 11 F32 elements (44 bytes) but its entry has 40 bytes"},
    {"missing_storage.ckpt", "storage '7' has no entry 'archive/data/7'"},
    {"deep_nesting.ckpt", "nests deeper than 64 levels"},
    {"self_reference.ckpt", "nests deeper than 64 levels (or contains itself)"},
    {"memo_out_of_range.ckpt", "memo index 5 was never stored"},
    {"stack_underflow.ckpt", "stack underflow"},
    {"unknown_opcode.ckpt", "unsupported opcode '\\x82'"},
    {"huge_string_length.ckpt", "pickle truncated"},
    {"no_stop.ckpt", "without a STOP opcode"},
    {"not_a_dict.ckpt", "not a dict of tensors"},
    {"mark_then_setitems_on_list.ckpt", "SETITEM(S) on a value that is not a dict"},
    {"big_endian.ckpt", "byte order 'big'"},
    {"bad_crc.ckpt", "fails its CRC-32 check"},
    {"deflate_bomb.ckpt", "more than DEFLATE can produce"},
    {"no_data_pkl.ckpt", "without <folder>/data.pkl"},
    {"legacy.pt", "legacy PyTorch format"},
    {"overlapping.safetensors", "tensors 'a' and 'b' overlap"},
    {"offsets_beyond_file.safetensors", "lies outside the 16-byte data section"},
    {"dtype_shape_mismatch.safetensors", "F32 [4] needs 16 bytes but its data range holds 12"},
    {"header_larger_than_file.safetensors", "the JSON header is 4096 bytes long but the file is only"},
    {"huge_header_length.safetensors", "exceeds the"},
    {"non_json_header.safetensors", "not valid JSON"},
    {"header_not_object.safetensors", "not a JSON object"},
    {"negative_shape.safetensors", "non-negative integers"},
    {"unknown_dtype.safetensors", "unsupported dtype 'Q7'"},
    {"too_short.safetensors", "too short"},
    {"deep_json_header.safetensors", "the safetensors header nests deeper than 64 levels"},
};

class Hostile : public ::testing::TestWithParam<HostileCase> {};

TEST_P(Hostile, IsRefusedWithReason) {
  const std::string path = checkpoint(std::string("hostile/") + GetParam().file);
  try {
    auto file = open_tensor_file(path);
    load_all(*file);
    FAIL() << path << " was accepted";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find(GetParam().message), std::string::npos) << message;
    EXPECT_NE(message.find(path), std::string::npos) << "the error names the file: " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << "one line: " << message;
  }
}

INSTANTIATE_TEST_SUITE_P(Files, Hostile, ::testing::ValuesIn(kHostileCases),
                         [](const ::testing::TestParamInfo<HostileCase>& param) {
                           std::string name = param.param.file;
                           for (char& c : name)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return name;
                         });

enum class Outcome { Loaded, Refused };

Outcome try_pytorch(std::span<const std::byte> image, bool verify_crc) {
  try {
    auto file = PytorchFile::from_image(image, "mutated.ckpt", nullptr, PytorchFile::Options{verify_crc});
    load_all(*file);
    return Outcome::Loaded;
  } catch (const Error&) {
    return Outcome::Refused;
  }
}

Outcome try_safetensors_header(std::span<const std::byte> image) {
  try {
    const SafetensorsHeader header = parse_safetensors_header(image, "mutated.safetensors");
    for (const auto& entry : header.entries) EXPECT_LE(entry.end, image.size()) << entry.info.name;
    return Outcome::Loaded;
  } catch (const Error&) {
    return Outcome::Refused;
  }
}

TEST(HostileFiles, EveryTruncationOfACheckpointIsRefused) {
  for (const char* name : {"tiny.ckpt", "tiny_zip64.ckpt", "tiny_deflated.ckpt"}) {
    const auto bytes = read_bytes(checkpoint(std::string("valid/") + name));
    ASSERT_FALSE(bytes.empty());
    for (size_t n = 0; n < bytes.size(); ++n) {
      // A copy of exactly n bytes, so that AddressSanitizer sees any read past the end.
      std::vector<std::byte> prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
      ASSERT_EQ(try_pytorch(prefix, false), Outcome::Refused) << name << " truncated to " << n << " bytes";
    }
    EXPECT_EQ(try_pytorch(bytes, true), Outcome::Loaded) << name;
  }
}

TEST(HostileFiles, EveryTruncationOfSafetensorsIsRefused) {
  const auto bytes = read_bytes(checkpoint("valid/tiny.safetensors"));
  ASSERT_FALSE(bytes.empty());
  for (size_t n = 0; n < bytes.size(); ++n) {
    std::vector<std::byte> prefix(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    ASSERT_EQ(try_safetensors_header(prefix), Outcome::Refused) << "truncated to " << n << " bytes";
  }
  EXPECT_EQ(try_safetensors_header(bytes), Outcome::Loaded);
}

// Flips 1-4 random bits per trial; the file must load (the flip hit tensor data or padding) or
// be refused. Seeded, so a failure names a reproducible trial.
template <typename Try>
void flip_trials(const std::vector<std::byte>& original, uint64_t seed, int trials, Try&& try_load) {
  std::mt19937_64 rng(seed);
  int loaded = 0;
  for (int trial = 0; trial < trials; ++trial) {
    std::vector<std::byte> bytes = original;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      const size_t pos = rng() % bytes.size();
      bytes[pos] ^= static_cast<std::byte>(1u << (rng() % 8));
    }
    SCOPED_TRACE(::testing::Message() << "seed " << seed << " trial " << trial);
    if (try_load(bytes) == Outcome::Loaded) ++loaded;
  }
  EXPECT_GT(loaded, 0) << "some flips land in tensor data and still load";
}

TEST(HostileFiles, BitFlippedCheckpointsLoadOrAreRefused) {
  const auto bytes = read_bytes(checkpoint("valid/tiny.ckpt"));
  flip_trials(bytes, 1, 3000, [](std::span<const std::byte> b) { return try_pytorch(b, false); });
  flip_trials(bytes, 2, 1000, [](std::span<const std::byte> b) { return try_pytorch(b, true); });
  const auto deflated = read_bytes(checkpoint("valid/tiny_deflated.ckpt"));
  flip_trials(deflated, 3, 1000, [](std::span<const std::byte> b) { return try_pytorch(b, false); });
}

TEST(HostileFiles, BitFlippedSafetensorsLoadOrAreRefused) {
  const auto bytes = read_bytes(checkpoint("valid/tiny.safetensors"));
  flip_trials(bytes, 4, 3000, [](std::span<const std::byte> b) { return try_safetensors_header(b); });
  // A few through the file path too (open_tensor_file dispatch + SafetensorsFile::load).
  const std::string path = 
      (std::filesystem::temp_directory_path() / ("ad_test_flipped_" + std::to_string(::getpid()) + ".safetensors"))
          .string();
  flip_trials(bytes, 5, 200, [&](std::span<const std::byte> b) {
    {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
    }
    try {
      load_all(*open_tensor_file(path));
      return Outcome::Loaded;
    } catch (const Error&) {
      return Outcome::Refused;
    }
  });
  std::remove(path.c_str());
}

}  // namespace
}  // namespace ad::io

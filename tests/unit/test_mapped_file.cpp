// Giving a mapped checkpoint's pages back (TensorFile::drop_resident_pages): the data stays
// valid, and the process's resident memory falls by the size of what was read.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "io/safetensors.h"
#include "io/tensor_file.h"
#include "support/test_util.h"

namespace ad::io {
namespace {

namespace fs = std::filesystem;

int64_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  int64_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<int64_t>(sysconf(_SC_PAGESIZE));
}

double sum_of(const Tensor& t) {
  double sum = 0;
  const float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) sum += p[i];
  return sum;
}

TEST(MappedFile, DropResidentPagesKeepsDataAndFreesMemory) {
  const fs::path path = fs::temp_directory_path() / ("ad_mapped_" + std::to_string(::getpid()) + ".safetensors");
  constexpr int64_t kRows = 4096, kCols = 4096;  // 64 MiB of F32
  {
    const Tensor t = test::random_tensor({kRows, kCols}, 3);
    write_safetensors(path.string(), {{"w", t}});
  }
  const auto file = open_tensor_file(path.string());
  const Tensor w = file->load("w");
  const int64_t before = resident_bytes();
  const double sum = sum_of(w);  // pages the whole tensor in
  const int64_t touched = resident_bytes();
  EXPECT_GT(touched - before, 48 << 20);
  file->drop_resident_pages();
  const int64_t dropped = resident_bytes();
  EXPECT_LT(dropped, touched - (48 << 20)) << "the mapping's pages should have left the process";
  EXPECT_EQ(sum_of(w), sum) << "the data is read again from the file";
  fs::remove(path);
}

}  // namespace
}  // namespace ad::io

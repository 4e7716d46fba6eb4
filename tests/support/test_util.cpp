#include "support/test_util.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

namespace ad::test {

std::string data_dir() { return AD_TEST_DATA_DIR; }
std::string cli_path() { return AD_CLI_PATH; }

CliResult run_cli(const std::string& args) {
  static int calls = 0;
  const std::filesystem::path log = std::filesystem::temp_directory_path() /
                                    ("ad_cli_" + std::to_string(::getpid()) + "_" + std::to_string(++calls) + ".log");
  const std::string command = cli_path() + " " + args + " > " + log.string() + " 2>&1";
  CliResult r;
  r.status = WEXITSTATUS(std::system(command.c_str()));
  r.output = read_file(log.string());
  std::filesystem::remove(log);
  return r;
}

std::vector<std::byte> read_bytes(const std::string& path) {
  const std::string chars = read_file(path);
  std::vector<std::byte> out(chars.size());
  if (!chars.empty()) std::memcpy(out.data(), chars.data(), chars.size());
  return out;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

Tensor random_tensor(const Shape& shape, uint64_t seed, float low, float high) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(low, high);
  Tensor t = Tensor::empty(shape);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng);
  return t;
}

}  // namespace ad::test

#include "pipeline/data_files.h"

#include <filesystem>

namespace ad::pipeline {

namespace {
namespace fs = std::filesystem;

fs::path executable_dir() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path() : exe.parent_path();
}
}  // namespace

std::string find_bundled_data(const std::string& relative, const std::function<bool(const std::string&)>& usable) {
  const fs::path candidates[] = {
      executable_dir() / ".." / "share" / "animatediff" / relative,  // installed
      fs::path(AD_DATA_DIR) / relative,                               // source tree
  };
  for (const auto& path : candidates) {
    const std::string p = path.lexically_normal().string();
    if (usable ? usable(p) : fs::exists(path)) return p;
  }
  return {};
}

}  // namespace ad::pipeline

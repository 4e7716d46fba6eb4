#include "text/text_file.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/error.h"

namespace ad::text {

std::string read_text_file(const std::string& path, const char* what) {
  std::error_code ec;
  AD_CHECK(!std::filesystem::is_directory(path, ec), "{}: cannot open {}: is a directory", path, what);
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot open {}: {}", path, what, std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  AD_CHECK(!in.bad(), "{}: cannot read {}: {}", path, what, std::strerror(errno));
  return std::move(buffer).str();
}

}  // namespace ad::text

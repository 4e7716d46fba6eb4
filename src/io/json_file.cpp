#include "io/json_file.h"

#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "io/tensor_file.h"

namespace ad::io {

namespace {

constexpr uintmax_t kMaxJsonBytes = uintmax_t{64} << 20;

std::string subject(const std::string& label, std::string_view what) {
  return what.empty() ? label + ":" : fmt::format("{}: {}", label, what);
}

}  // namespace

nlohmann::json parse_json(std::string_view text, const std::string& label, std::string_view what) {
  const auto limit_depth = [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (depth > kJsonMaxDepth) fail("{} nests deeper than {} levels", subject(label, what), kJsonMaxDepth);
    return true;
  };
  try {
    return nlohmann::json::parse(text.begin(), text.end(), limit_depth);
  } catch (const nlohmann::json::exception& e) {
    fail("{}{}not valid JSON ({})", subject(label, what), what.empty() ? " " : " is ", e.what());
  }
}

nlohmann::json read_json_file(const std::string& path) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  AD_CHECK(!ec, "{}: cannot read: {}", path, ec.message());
  AD_CHECK(size <= kMaxJsonBytes, "{}: {} bytes is too large for a JSON file (limit {})", path, size, kMaxJsonBytes);
  std::ifstream in(path, std::ios::binary);
  AD_CHECK(in.good(), "{}: cannot open", path);
  std::string text(static_cast<size_t>(size), '\0');
  in.read(text.data(), static_cast<std::streamsize>(size));
  AD_CHECK(static_cast<uintmax_t>(in.gcount()) == size, "{}: read failed", path);
  return parse_json(text, path);
}

nlohmann::json metadata_json(const TensorFile& file, const std::string& key) {
  const auto it = file.metadata().find(key);
  if (it == file.metadata().end()) return nlohmann::json::object();
  nlohmann::json value = parse_json(it->second, file.path(), "metadata '" + key + "'");
  AD_CHECK(value.is_object(), "{}: metadata '{}' is not a JSON object", file.path(), key);
  return value;
}

}  // namespace ad::io

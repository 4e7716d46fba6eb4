// JSON read from files we do not control (safetensors headers, diffusers configs and indexes).
// Parsing caps the nesting depth: nlohmann's dump and copy recurse, so a header nested a
// million levels deep would otherwise overflow the stack.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace ad::io {

class TensorFile;

inline constexpr int kJsonMaxDepth = 64;

// Throws ad::Error "<label>: <what> is not valid JSON (...)" or "... nests deeper than 64 levels".
nlohmann::json parse_json(std::string_view text, const std::string& label, std::string_view what = "");

// Reads and parses a JSON file of at most 64 MiB; errors name the file.
nlohmann::json read_json_file(const std::string& path);

// The JSON object stored as string metadata `key` of a checkpoint (e.g. "animatediff.config": the
// hints our test checkpoints carry for what the shapes cannot tell, such as head counts); an
// empty object when absent. Errors name the file.
nlohmann::json metadata_json(const TensorFile& file, const std::string& key);

}  // namespace ad::io

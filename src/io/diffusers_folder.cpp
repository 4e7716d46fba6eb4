#include "io/diffusers_folder.h"

#include <filesystem>

#include "core/error.h"
#include "io/json_file.h"
#include "io/sharded_file.h"

namespace ad::io {

namespace fs = std::filesystem;

namespace {

// Preference order (diffusers loads safetensors first and the default variant before fp16).
constexpr const char* kWeightFiles[] = {
    "diffusion_pytorch_model.safetensors",
    "model.safetensors",
    "diffusion_pytorch_model.safetensors.index.json",
    "model.safetensors.index.json",
    "diffusion_pytorch_model.fp16.safetensors",
    "model.fp16.safetensors",
    "diffusion_pytorch_model.safetensors.index.fp16.json",
    "model.safetensors.index.fp16.json",
    "diffusion_pytorch_model.bin",
    "pytorch_model.bin",
    "diffusion_pytorch_model.bin.index.json",
    "pytorch_model.bin.index.json",
    "diffusion_pytorch_model.fp16.bin",
    "pytorch_model.fp16.bin",
};

constexpr const char* kConfigFiles[] = {"config.json", "scheduler_config.json", "tokenizer_config.json"};

bool ends_with(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

std::shared_ptr<TensorFile> open_weights(const fs::path& dir) {
  for (const char* name : kWeightFiles) {
    const fs::path path = dir / name;
    if (!fs::is_regular_file(path)) continue;
    if (ends_with(name, ".json")) return ShardedTensorFile::open_index(path.string());
    return open_tensor_file(path.string());
  }
  return nullptr;
}

std::string folder_name(const fs::path& dir) {
  fs::path p = dir;
  if (!p.has_filename()) p = p.parent_path();  // "unet/" -> "unet"
  return p.filename().string();
}

}  // namespace

bool is_diffusers_folder(const std::string& path) {
  return fs::is_directory(path) &&
         (fs::is_regular_file(fs::path(path) / "model_index.json") || fs::is_regular_file(fs::path(path) / "config.json"));
}

std::vector<std::string> list_diffusers_components(const std::string& folder) {
  const fs::path root(folder);
  AD_CHECK(fs::is_directory(root), "{}: not a folder", folder);
  const fs::path index_path = root / "model_index.json";
  if (!fs::is_regular_file(index_path)) {
    AD_CHECK(fs::is_regular_file(root / "config.json"), "{}: neither model_index.json nor config.json: not a diffusers folder",
             folder);
    return {folder_name(root)};
  }
  const nlohmann::json index = read_json_file(index_path.string());
  AD_CHECK(index.is_object(), "{}: not a JSON object", index_path.string());
  std::vector<std::string> names;
  for (const auto& [key, value] : index.items()) {
    // Components are ["library", "ClassName"]; "_class_name", "_diffusers_version" and options are not.
    if (!value.is_array() || value.size() != 2 || value[1].is_null()) continue;
    if (key.find('/') != std::string::npos || key.find("..") != std::string::npos) continue;
    if (fs::is_directory(root / key)) names.push_back(key);
  }
  return names;
}

std::optional<DiffusersComponent> open_diffusers_component(const std::string& folder_or_root,
                                                           std::string_view component) {
  const fs::path root(folder_or_root);
  AD_CHECK(fs::is_directory(root), "{}: not a folder", folder_or_root);
  AD_CHECK(component.find('/') == std::string_view::npos && component != "..", "{}: bad component name '{}'",
           folder_or_root, component);
  fs::path dir;
  if (!component.empty() && fs::is_directory(root / component)) {
    dir = root / component;
  } else if (!fs::is_regular_file(root / "model_index.json") &&
             (component.empty() || folder_name(root) == component)) {
    dir = root;  // a single component folder
  } else {
    return std::nullopt;
  }
  DiffusersComponent out;
  out.name = component.empty() ? folder_name(dir) : std::string(component);
  out.dir = dir.string();
  out.config = nlohmann::json::object();
  for (const char* name : kConfigFiles) {
    const fs::path path = dir / name;
    if (!fs::is_regular_file(path)) continue;
    out.config_path = path.string();
    out.config = read_json_file(out.config_path);
    AD_CHECK(out.config.is_object(), "{}: not a JSON object", out.config_path);
    break;
  }
  out.weights = open_weights(dir);
  return out;
}

}  // namespace ad::io

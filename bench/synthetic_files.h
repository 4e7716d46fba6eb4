// Writing random weights of real shape as the files users have (safetensors, config.json), so
// that the whole pipelines run at real size from disk: bench_video --write-model, bench_mmdit
// --write-model.
#pragma once

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "io/memory_tensor_file.h"
#include "io/safetensors.h"

namespace ad::bench {

using NamedTensors = std::vector<std::pair<std::string, Tensor>>;

inline void append(NamedTensors& out, const io::MemoryTensorFile& file, const std::string& prefix = "") {
  for (const auto& info : file.tensors()) out.emplace_back(prefix + info.name, file.load(info.name));
}

inline void write_tensors(const std::filesystem::path& path, const NamedTensors& tensors) {
  std::filesystem::create_directories(path.parent_path());
  io::write_safetensors(path.string(), tensors);
  std::printf("wrote %s (%zu tensors)\n", path.c_str(), tensors.size());
}

inline void write_tensors(const std::filesystem::path& path, const io::MemoryTensorFile& file) {
  NamedTensors tensors;
  append(tensors, file);
  write_tensors(path, tensors);
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

}  // namespace ad::bench

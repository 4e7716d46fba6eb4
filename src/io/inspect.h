// What a checkpoint file or diffusers folder holds: format, detected model family and version,
// parameter count and bytes per dtype, metadata and every tensor. The library side of
// `animatediff inspect`; the CLI only prints one of the two renderings below.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/model_detect.h"
#include "io/tensor_file.h"

namespace ad::io {

struct DtypeTotals {
  DType dtype = DType::F32;
  int64_t tensors = 0;
  int64_t parameters = 0;
  uint64_t bytes = 0;
};

struct InspectReport {
  std::string path;
  std::string name;        // diffusers component name ("unet"); empty for a file
  std::string class_name;  // diffusers "_class_name" of the folder or component, when known
  std::string format;      // "safetensors", "pytorch", "sharded safetensors", "diffusers", "none"
  ModelDetection model;
  int64_t parameters = 0;
  uint64_t bytes = 0;
  std::vector<DtypeTotals> dtypes;  // in DType order
  std::map<std::string, std::string> metadata;
  std::vector<TensorInfo> tensors;
  std::vector<InspectReport> components;  // a diffusers root: one report per component
};

// Opens a checkpoint (by content) or a diffusers folder (root or single component).
InspectReport inspect_path(const std::string& path);
InspectReport inspect_tensor_file(const TensorFile& file);

// Human-readable summary and tensor table.
std::string format_inspect_text(const InspectReport& report);
// One JSON object with the same content.
nlohmann::ordered_json inspect_to_json(const InspectReport& report);

}  // namespace ad::io

#include "io/inspect.h"

#include <algorithm>
#include <filesystem>

#include "io/diffusers_folder.h"

namespace ad::io {

namespace fs = std::filesystem;

namespace {

void add_totals(std::vector<DtypeTotals>& totals, DType dtype, int64_t tensors, int64_t parameters, uint64_t bytes) {
  auto it = std::find_if(totals.begin(), totals.end(), [&](const DtypeTotals& t) { return t.dtype == dtype; });
  if (it == totals.end()) {
    totals.push_back(DtypeTotals{dtype, 0, 0, 0});
    it = totals.end() - 1;
  }
  it->tensors += tensors;
  it->parameters += parameters;
  it->bytes += bytes;
  std::sort(totals.begin(), totals.end(), [](const DtypeTotals& a, const DtypeTotals& b) { return a.dtype < b.dtype; });
}

std::string group_thousands(uint64_t value) {
  const std::string digits = std::to_string(value);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

std::string human_bytes(uint64_t bytes) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 4) {
    value /= 1024;
    ++unit;
  }
  return unit == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.2f} {}", value, units[unit]);
}

InspectReport inspect_component(const DiffusersComponent& component) {
  InspectReport report;
  if (component.weights) {
    report = inspect_tensor_file(*component.weights);
  } else {
    report.path = component.dir;
    report.format = "none";
    report.model.name = "no weights";
  }
  report.name = component.name;
  if (component.config.contains("_class_name") && component.config["_class_name"].is_string())
    report.class_name = component.config["_class_name"].get<std::string>();
  return report;
}

InspectReport inspect_folder(const std::string& path) {
  InspectReport root;
  root.path = path;
  root.format = "diffusers";
  const fs::path index = fs::path(path) / "model_index.json";
  if (fs::is_regular_file(index)) {
    const nlohmann::json json = read_json_file(index.string());
    if (json.is_object() && json.contains("_class_name") && json["_class_name"].is_string())
      root.class_name = json["_class_name"].get<std::string>();
  }
  for (const std::string& name : list_diffusers_components(path)) {
    auto component = open_diffusers_component(path, name);
    if (component) root.components.push_back(inspect_component(*component));
  }
  // The pipeline is what its denoiser is.
  const InspectReport* main = nullptr;
  for (const char* preferred : {"transformer", "unet"})
    for (const auto& c : root.components)
      if (!main && c.name == preferred) main = &c;
  for (const auto& c : root.components)
    if (!main && c.format != "none") main = &c;
  if (main) root.model = main->model;
  if (root.class_name.empty() && root.components.size() == 1) root.class_name = root.components[0].class_name;
  for (const auto& c : root.components) {
    root.parameters += c.parameters;
    root.bytes += c.bytes;
    for (const auto& t : c.dtypes) add_totals(root.dtypes, t.dtype, t.tensors, t.parameters, t.bytes);
  }
  return root;
}

void append_text(const InspectReport& r, const std::string& indent, std::string& out) {
  auto line = [&](const char* key, const std::string& value) {
    if (!value.empty()) out += fmt::format("{}{:<12}{}\n", indent, key, value);
  };
  line("path:", r.path);
  line("component:", r.name);
  line("class:", r.class_name);
  line("format:", r.format);
  std::string model = r.model.name;
  if (!r.model.version.empty()) model += " " + r.model.version;
  if (r.model.family != ModelFamily::Unknown) model += r.model.supported ? " [supported]" : " [not supported]";
  line("model:", model);
  line("note:", r.model.note);
  std::string parts;
  for (const auto& p : r.model.parts) parts += (parts.empty() ? "" : ", ") + p;
  line("parts:", parts);
  line("parameters:", fmt::format("{} ({})", group_thousands(static_cast<uint64_t>(r.parameters)), human_bytes(r.bytes)));
  for (const auto& t : r.dtypes)
    out += fmt::format("{}  {:<6}{:>8} tensors {:>16} parameters {:>12}\n", indent, dtype_name(t.dtype),
                       group_thousands(static_cast<uint64_t>(t.tensors)),
                       group_thousands(static_cast<uint64_t>(t.parameters)), human_bytes(t.bytes));
  if (!r.metadata.empty()) {
    out += indent + "metadata:\n";
    for (const auto& [key, value] : r.metadata) out += fmt::format("{}  {}: {}\n", indent, key, value);
  }
  if (!r.tensors.empty()) {
    size_t width = 4;
    for (const auto& t : r.tensors) width = std::max(width, std::min<size_t>(t.name.size(), 100));
    out += fmt::format("{}tensors ({}):\n{}  {:<{}}  {:<5} {}\n", indent, r.tensors.size(), indent, "name", width,
                       "dtype", "shape");
    for (const auto& t : r.tensors)
      out += fmt::format("{}  {:<{}}  {:<5} {}\n", indent, t.name, width, dtype_name(t.dtype), t.shape.to_string());
  }
  for (const auto& c : r.components) {
    out += fmt::format("\n{}== {}\n", indent, c.name);
    append_text(c, indent + "   ", out);
  }
}

}  // namespace

InspectReport inspect_tensor_file(const TensorFile& file) {
  InspectReport report;
  report.path = file.path();
  report.format = std::string(file.format());
  report.tensors = file.tensors();
  report.metadata = file.metadata();
  for (const auto& t : report.tensors) {
    const int64_t numel = t.shape.product();
    const uint64_t bytes = static_cast<uint64_t>(numel) * dtype_size(t.dtype);
    report.parameters += numel;
    report.bytes += bytes;
    add_totals(report.dtypes, t.dtype, 1, numel, bytes);
  }
  report.model = detect_model(report.tensors);
  return report;
}

InspectReport inspect_path(const std::string& path) {
  if (fs::is_directory(path)) return inspect_folder(path);
  return inspect_tensor_file(*open_tensor_file(path));
}

std::string format_inspect_text(const InspectReport& report) {
  std::string out;
  append_text(report, "", out);
  return out;
}

nlohmann::ordered_json inspect_to_json(const InspectReport& r) {
  nlohmann::ordered_json j;
  j["path"] = r.path;
  if (!r.name.empty()) j["component"] = r.name;
  if (!r.class_name.empty()) j["class"] = r.class_name;
  j["format"] = r.format;
  j["model"] = {{"family", std::string(model_family_id(r.model.family))},
                {"name", r.model.name},
                {"version", r.model.version},
                {"supported", r.model.supported},
                {"parts", r.model.parts},
                {"note", r.model.note}};
  j["parameters"] = r.parameters;
  j["bytes"] = r.bytes;
  j["dtypes"] = nlohmann::ordered_json::array();
  for (const auto& t : r.dtypes)
    j["dtypes"].push_back(
        {{"dtype", std::string(dtype_name(t.dtype))}, {"tensors", t.tensors}, {"parameters", t.parameters}, {"bytes", t.bytes}});
  j["metadata"] = r.metadata;
  j["tensors"] = nlohmann::ordered_json::array();
  for (const auto& t : r.tensors)
    j["tensors"].push_back({{"name", t.name},
                            {"dtype", std::string(dtype_name(t.dtype))},
                            {"shape", std::vector<int64_t>(t.shape.begin(), t.shape.end())}});
  if (!r.components.empty()) {
    j["components"] = nlohmann::ordered_json::array();
    for (const auto& c : r.components) j["components"].push_back(inspect_to_json(c));
  }
  return j;
}

}  // namespace ad::io

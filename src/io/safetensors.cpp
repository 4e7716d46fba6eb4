#include "io/safetensors.h"

#include <algorithm>
#include <cstring>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "io/json_file.h"

namespace ad::io {

namespace {

uint64_t read_u64_le(const std::byte* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<uint64_t>(p[i]);
  return v;
}

// Multiplies with an overflow check; false on overflow.
bool checked_mul(uint64_t a, uint64_t b, uint64_t& out) {
  if (a != 0 && b > std::numeric_limits<uint64_t>::max() / a) return false;
  out = a * b;
  return true;
}

SafetensorsEntry parse_entry(const std::string& name, const nlohmann::json& value, size_t data_start, size_t data_size,
                             const std::string& label) {
  AD_CHECK(value.is_object(), "{}: tensor '{}': header entry is not an object", label, name);
  AD_CHECK(value.contains("dtype") && value["dtype"].is_string(), "{}: tensor '{}': missing dtype", label, name);
  AD_CHECK(value.contains("shape") && value["shape"].is_array(), "{}: tensor '{}': missing shape", label, name);
  AD_CHECK(value.contains("data_offsets") && value["data_offsets"].is_array() && value["data_offsets"].size() == 2,
           "{}: tensor '{}': data_offsets must be [begin, end]", label, name);
  const std::string dtype_text = value["dtype"].get<std::string>();
  const auto dtype = dtype_from_name(dtype_text);
  AD_CHECK(dtype.has_value(), "{}: tensor '{}': unsupported dtype '{}'", label, name, dtype_text);
  const auto& shape_json = value["shape"];
  AD_CHECK(shape_json.size() <= static_cast<size_t>(kMaxDims), "{}: tensor '{}': {} dimensions (at most {})", label,
           name, shape_json.size(), kMaxDims);
  SafetensorsEntry entry;
  entry.info.name = name;
  entry.info.dtype = *dtype;
  uint64_t numel = 1;
  for (const auto& d : shape_json) {
    AD_CHECK(d.is_number_unsigned() || (d.is_number_integer() && d.get<int64_t>() >= 0),
             "{}: tensor '{}': shape entries must be non-negative integers", label, name);
    const uint64_t dim = d.get<uint64_t>();
    AD_CHECK(dim <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) && checked_mul(numel, dim, numel),
             "{}: tensor '{}': shape too large", label, name);
    entry.info.shape.push_back(static_cast<int64_t>(dim));
  }
  uint64_t bytes = 0;
  AD_CHECK(checked_mul(numel, dtype_size(*dtype), bytes), "{}: tensor '{}': shape too large", label, name);
  const auto& offsets = value["data_offsets"];
  AD_CHECK(offsets[0].is_number_unsigned() && offsets[1].is_number_unsigned(),
           "{}: tensor '{}': data_offsets must be non-negative integers", label, name);
  const uint64_t begin = offsets[0].get<uint64_t>();
  const uint64_t end = offsets[1].get<uint64_t>();
  AD_CHECK(begin <= end && end <= data_size,
           "{}: tensor '{}': data [{}, {}) lies outside the {}-byte data section. Perhaps an incomplete download?", label,
           name, begin, end, data_size);
  AD_CHECK(end - begin == bytes, "{}: tensor '{}': {} {} needs {} bytes but its data range holds {}", label, name,
           dtype_text, entry.info.shape.to_string(), bytes, end - begin);
  entry.begin = data_start + begin;
  entry.end = data_start + end;
  return entry;
}

}  // namespace

SafetensorsHeader parse_safetensors_header(std::span<const std::byte> file, const std::string& label) {
  AD_CHECK(file.size() >= 8, "{}: {} bytes is too short for a safetensors file", label, file.size());
  const uint64_t header_size = read_u64_le(file.data());
  AD_CHECK(header_size <= kSafetensorsMaxHeader, "{}: JSON header of {} bytes exceeds the {}-byte limit (not a safetensors file?)",
           label, header_size, kSafetensorsMaxHeader);
  AD_CHECK(header_size <= file.size() - 8,
           "{}: the JSON header is {} bytes long but the file is only {} bytes. Perhaps an incomplete download?", label,
           header_size, file.size());
  const char* text = reinterpret_cast<const char*>(file.data() + 8);
  const nlohmann::json header = parse_json(std::string_view(text, static_cast<size_t>(header_size)), label,
                                          "the safetensors header");
  AD_CHECK(header.is_object(), "{}: the safetensors header is not a JSON object", label);
  const size_t data_start = 8 + static_cast<size_t>(header_size);
  const size_t data_size = file.size() - data_start;
  SafetensorsHeader result;
  for (const auto& [key, value] : header.items()) {
    if (key == "__metadata__") {
      AD_CHECK(value.is_object(), "{}: __metadata__ is not an object", label);
      for (const auto& [mk, mv] : value.items())
        result.metadata[mk] = mv.is_string() ? mv.get<std::string>() : mv.dump();
      continue;
    }
    result.entries.push_back(parse_entry(key, value, data_start, data_size, label));
  }
  std::sort(result.entries.begin(), result.entries.end(), [](const SafetensorsEntry& a, const SafetensorsEntry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  for (size_t i = 1; i < result.entries.size(); ++i) {
    const auto& prev = result.entries[i - 1];
    const auto& cur = result.entries[i];
    AD_CHECK(cur.begin >= prev.end || cur.begin == cur.end || prev.begin == prev.end,
             "{}: tensors '{}' and '{}' overlap in the data section", label, prev.info.name, cur.info.name);
  }
  return result;
}

std::shared_ptr<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  auto file = std::shared_ptr<SafetensorsFile>(new SafetensorsFile());
  file->file_ = MappedFile::open(path);
  file->header_ = parse_safetensors_header({file->file_->data(), file->file_->size()}, path);
  for (size_t i = 0; i < file->header_.entries.size(); ++i) {
    const auto& entry = file->header_.entries[i];
    AD_CHECK(file->index_.emplace(entry.info.name, i).second, "{}: tensor '{}' appears twice", path, entry.info.name);
    file->infos_.push_back(entry.info);
  }
  return file;
}

Tensor SafetensorsFile::load(const std::string& name) const {
  auto it = index_.find(name);
  AD_CHECK(it != index_.end(), "{}: no tensor named '{}'", path(), name);
  const SafetensorsEntry& entry = header_.entries[it->second];
  const std::byte* data = file_->data() + entry.begin;
  const size_t bytes = entry.end - entry.begin;
  const Shape& shape = entry.info.shape;
  if (reinterpret_cast<uintptr_t>(data) % dtype_size(entry.info.dtype) != 0) {
    // Misaligned data (legal in the format): copy so that kernels may assume alignment.
    auto storage = make_heap_storage(bytes);
    std::memcpy(storage->data, data, bytes);
    return Tensor(std::move(storage), 0, shape, contiguous_strides(shape), entry.info.dtype);
  }
  auto storage = make_borrowed_storage(const_cast<std::byte*>(data), bytes, file_);
  return Tensor(std::move(storage), 0, shape, contiguous_strides(shape), entry.info.dtype);
}

void write_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  nlohmann::ordered_json header = nlohmann::ordered_json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  size_t offset = 0;
  std::vector<Tensor> dense;
  for (const auto& [name, tensor] : tensors) {
    Tensor t = tensor.contiguous();
    nlohmann::ordered_json entry;
    entry["dtype"] = std::string(dtype_name(t.dtype()));
    entry["shape"] = std::vector<int64_t>(t.shape().begin(), t.shape().end());
    entry["data_offsets"] = {offset, offset + t.nbytes()};
    header[name] = entry;
    offset += t.nbytes();
    dense.push_back(t);
  }
  std::string text = header.dump();
  while ((text.size() + 8) % 8 != 0) text.push_back(' ');
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  AD_CHECK(out.good(), "{}: cannot create file", path);
  uint64_t n = text.size();
  unsigned char len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>((n >> (8 * i)) & 0xffu);
  out.write(reinterpret_cast<const char*>(len), 8);
  out.write(text.data(), static_cast<std::streamsize>(text.size()));
  for (const Tensor& t : dense) out.write(static_cast<const char*>(t.raw_data()), static_cast<std::streamsize>(t.nbytes()));
  AD_CHECK(out.good(), "{}: write failed", path);
}

}  // namespace ad::io

#include "io/pytorch_file.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "io/mapped_file.h"

namespace ad::io {

namespace {

using pickle::Kind;
using pickle::ValueId;

// data.pkl of a real SD checkpoint is ~200 KB; a training checkpoint with optimiser state a few MB.
constexpr uint64_t kMaxPickleBytes = uint64_t{256} << 20;
// Dict entries visited while flattening (a hostile pickle can share one dict many times); real
// state dicts have a few thousand.
constexpr size_t kFlattenBudget = size_t{1} << 20;
// Non-tensor entries kept as metadata (optimiser state can have very many).
constexpr size_t kMaxMetadata = 4096;

// PROTO n, LONG1 10 bytes, then 0x1950a86a20f9469cfc6c little-endian.
constexpr unsigned char kLegacyMagic[] = {0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};

std::string text_of(std::span<const std::byte> bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

// The name of a dict key as part of a tensor name.
bool key_text(const pickle::Value& key, std::string& out) {
  if (key.kind == Kind::String) {
    out = key.text;
    return true;
  }
  if (key.kind == Kind::Int) {
    out = std::to_string(key.integer);
    return true;
  }
  return false;
}

const pickle::Value* dict_get(const pickle::Pickle& p, const pickle::Value& dict, std::string_view key) {
  for (size_t i = 0; i + 1 < dict.items.size(); i += 2) {
    const pickle::Value& k = p.at(dict.items[i]);
    if (k.kind == Kind::String && k.text == key) return &p.at(dict.items[i + 1]);
  }
  return nullptr;
}

bool has_value_of_kind(const pickle::Pickle& p, const pickle::Value& dict, Kind a, Kind b) {
  for (size_t i = 1; i < dict.items.size(); i += 2) {
    const Kind kind = p.at(dict.items[i]).kind;
    if (kind == a || kind == b) return true;
  }
  return false;
}

}  // namespace

bool is_legacy_torch_file(std::span<const std::byte> head) {
  if (head.size() < 2 + sizeof kLegacyMagic || head[0] != std::byte{0x80}) return false;
  return std::memcmp(head.data() + 2, kLegacyMagic, sizeof kLegacyMagic) == 0;
}

std::shared_ptr<PytorchFile> PytorchFile::open(const std::string& path) {
  auto file = MappedFile::open(path);
  return from_image({file->data(), file->size()}, path, file, Options{});
}

std::shared_ptr<PytorchFile> PytorchFile::from_image(std::span<const std::byte> image, std::string label,
                                                     std::shared_ptr<void> owner, Options options) {
  if (is_legacy_torch_file(image.first(std::min<size_t>(image.size(), 16))))
    fail("{}: legacy PyTorch format; re-save with torch>=1.6 or convert to safetensors", label);
  return std::shared_ptr<PytorchFile>(new PytorchFile(image, std::move(label), std::move(owner), options));
}

PytorchFile::PytorchFile(std::span<const std::byte> image, std::string label, std::shared_ptr<void> owner,
                         Options options)
    : label_(std::move(label)), owner_(std::move(owner)), options_(options), zip_(image, label_) {
  find_prefix();
  check_byteorder();
  const ZipEntry* pkl = zip_.find(prefix_ + "data.pkl");
  AD_CHECK(pkl->uncompressed_size <= kMaxPickleBytes, "{}: data.pkl is {} bytes, more than the {}-byte limit", label_,
           pkl->uncompressed_size, kMaxPickleBytes);
  std::vector<std::byte> buffer;
  pickle_ = pickle::unpickle(zip_.read(*pkl, buffer, options_.verify_crc), label_);
  resolve_storages();

  const pickle::Value& root = pickle_.at(pickle_.root);
  AD_CHECK(root.kind == Kind::Dict,
           "{}: data.pkl holds {}, not a dict of tensors (a whole pickled model? save model.state_dict() instead)",
           label_, pickle::describe(pickle_, pickle_.root, 60));
  ValueId state = pickle_.root;
  std::string wrapper;
  for (const char* name : {"state_dict", "module", "model"}) {
    const pickle::Value* inner = dict_get(pickle_, root, name);
    if (!inner || inner->kind != Kind::Dict) continue;
    if (std::string_view(name) != "state_dict" && has_value_of_kind(pickle_, root, Kind::Tensor, Kind::Tensor)) continue;
    state = static_cast<ValueId>(inner - pickle_.values.data());
    wrapper = name;
    break;
  }
  size_t budget = kFlattenBudget;
  if (!wrapper.empty()) {
    // The wrapper's siblings (global_step, epoch, ...) are metadata.
    for (size_t i = 0; i + 1 < root.items.size(); i += 2) {
      std::string key;
      if (!key_text(pickle_.at(root.items[i]), key) || key == wrapper) continue;
      add_metadata(key, root.items[i + 1]);
    }
  }
  flatten(state, "", 0, budget);
  holds_state_ = {};
}

void PytorchFile::find_prefix() {
  const ZipEntry* found = nullptr;
  for (const ZipEntry& entry : zip_.entries()) {
    const std::string& name = entry.name;
    constexpr std::string_view kPkl = "data.pkl";
    if (name.size() < kPkl.size() || name.compare(name.size() - kPkl.size(), kPkl.size(), kPkl) != 0) continue;
    const std::string dir = name.substr(0, name.size() - kPkl.size());
    if (!dir.empty() && (dir.back() != '/' || dir.find('/') != dir.size() - 1)) continue;  // "<top>/data.pkl" only
    AD_CHECK(found == nullptr, "{}: the archive holds two pickles ('{}' and '{}')", label_,
             pickle::printable(found ? found->name : ""), pickle::printable(name));
    found = &entry;
    prefix_ = dir;
  }
  AD_CHECK(found != nullptr, "{}: a ZIP archive without <folder>/data.pkl, so not a PyTorch checkpoint", label_);
}

void PytorchFile::check_byteorder() const {
  const ZipEntry* entry = zip_.find(prefix_ + "byteorder");
  if (!entry) return;  // before torch 2.1: always little-endian
  AD_CHECK(entry->uncompressed_size <= 16, "{}: byteorder entry of {} bytes", label_, entry->uncompressed_size);
  std::vector<std::byte> buffer;
  const std::string order = text_of(zip_.read(*entry, buffer, options_.verify_crc));
  AD_CHECK(order == "little", "{}: saved with byte order '{}'; only little-endian checkpoints are supported", label_,
           pickle::printable(order, 16));
}

void PytorchFile::resolve_storages() {
  storages_.resize(pickle_.storages.size());
  for (size_t i = 0; i < pickle_.storages.size(); ++i) {
    const pickle::StorageRef& ref = pickle_.storages[i];
    const ZipEntry* entry = zip_.find(prefix_ + "data/" + ref.key);
    AD_CHECK(entry != nullptr, "{}: storage '{}' has no entry '{}data/{}' in the archive. Perhaps an incomplete download?",
             label_, pickle::printable(ref.key), pickle::printable(prefix_), pickle::printable(ref.key));
    const uint64_t bytes = ref.numel * dtype_size(ref.dtype);  // no overflow: checked by the unpickler
    AD_CHECK(entry->uncompressed_size == bytes,
             "{}: storage '{}' holds {} {} elements ({} bytes) but its entry has {} bytes", label_,
             pickle::printable(ref.key), ref.numel, dtype_name(ref.dtype), bytes, entry->uncompressed_size);
    storages_[i].entry = entry;
  }
}

void PytorchFile::add_metadata(const std::string& name, ValueId value) {
  if (metadata_.size() >= kMaxMetadata) return;
  metadata_[pickle::printable(name, 200)] = pickle::describe(pickle_, value);
}

// Whether a dict holds tensors or dicts (a part of the state dict) rather than plain values.
// Cached: a hostile pickle can refer to one big dict from many places.
bool PytorchFile::holds_state(ValueId dict) {
  if (holds_state_.empty()) holds_state_.assign(pickle_.values.size(), -1);
  if (holds_state_[dict] < 0)
    holds_state_[dict] = has_value_of_kind(pickle_, pickle_.at(dict), Kind::Tensor, Kind::Dict) ? 1 : 0;
  return holds_state_[dict] == 1;
}

void PytorchFile::flatten(ValueId dict_id, const std::string& prefix, int depth, size_t& budget) {
  AD_CHECK(depth <= pickle::kPickleMaxDepth, "{}: the state dict nests deeper than {} levels (or contains itself)",
           label_, pickle::kPickleMaxDepth);
  const std::vector<ValueId>& items = pickle_.at(dict_id).items;
  for (size_t i = 0; i + 1 < items.size(); i += 2) {
    AD_CHECK(budget > 0, "{}: the state dict has too many entries (shared or self-referencing dicts?)", label_);
    --budget;
    std::string key;
    AD_CHECK(key_text(pickle_.at(items[i]), key), "{}: a state dict key under '{}' is {}, not a string", label_,
             pickle::printable(prefix), pickle::describe(pickle_, items[i], 40));
    const std::string name = prefix + key;
    const pickle::Value& value = pickle_.at(items[i + 1]);
    // A nested dict of tensors (or of dicts) is part of the state dict; one of plain values
    // (a config) is one metadata entry.
    if (value.kind == Kind::Dict && holds_state(items[i + 1])) {
      flatten(items[i + 1], name + ".", depth + 1, budget);
    } else if (value.kind == Kind::Tensor) {
      const pickle::TensorRef& t = pickle_.tensors[value.ref];
      AD_CHECK(index_.emplace(name, infos_.size()).second, "{}: tensor '{}' appears twice", label_,
               pickle::printable(name));
      infos_.push_back(TensorInfo{name, t.dtype, t.shape});
      tensor_refs_.push_back(value.ref);
    } else {
      add_metadata(name, items[i + 1]);
    }
  }
}

// The bytes of a whole storage: a view of the image when stored, else inflated (and shared by
// the tensors that use it while any is alive).
StoragePtr PytorchFile::storage_bytes(uint32_t storage) const {
  const ZipEntry& entry = *storages_[storage].entry;
  const auto bytes = static_cast<size_t>(entry.uncompressed_size);
  if (entry.method == 0)
    return make_borrowed_storage(const_cast<std::byte*>(zip_.image().data() + entry.data_offset), bytes, owner_);
  std::lock_guard lock(inflated_mutex_);
  if (auto cached = inflated_[storage].lock()) return cached;
  std::vector<std::byte> buffer;
  auto data = zip_.read(entry, buffer, options_.verify_crc);
  auto heap = make_heap_storage(bytes);
  if (bytes > 0) std::memcpy(heap->data, data.data(), bytes);
  inflated_[storage] = heap;
  return heap;
}

Tensor PytorchFile::load(const std::string& name) const {
  auto it = index_.find(name);
  AD_CHECK(it != index_.end(), "{}: no tensor named '{}'", label_, name);
  const pickle::TensorRef& t = pickle_.tensors[tensor_refs_[it->second]];
  StoragePtr storage = storage_bytes(t.storage);
  const size_t element = dtype_size(t.dtype);
  if (reinterpret_cast<uintptr_t>(storage->data) % element == 0)
    return Tensor(std::move(storage), t.offset, t.shape, t.strides, t.dtype);
  // Misaligned (legal in ZIP, never written by torch): copy the covered elements so that kernels
  // may assume alignment. The unpickler checked that [offset, last] lies inside the storage.
  int64_t last = t.offset;
  bool empty = false;
  for (int d = 0; d < t.shape.size(); ++d) {
    if (t.shape[d] == 0) empty = true;
    else last += (t.shape[d] - 1) * t.strides[d];
  }
  const size_t count = empty ? 0 : static_cast<size_t>(last - t.offset + 1);
  auto copy = make_heap_storage(count * element);
  if (count > 0) std::memcpy(copy->data, storage->data + static_cast<size_t>(t.offset) * element, count * element);
  return Tensor(std::move(copy), 0, t.shape, t.strides, t.dtype);
}

}  // namespace ad::io

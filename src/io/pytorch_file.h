// PyTorch checkpoints (.ckpt / .pt / .pth / .bin) as torch.save writes them since 1.6: a ZIP
// archive (pytorch_zip.h) holding a pickle (unpickler.h) and one entry per tensor storage.
//
//   <top>/data.pkl                 the pickled object: a dict of tensors (a state dict), maybe
//                                  wrapped as {"state_dict": {...}, "global_step": ..., ...}
//   <top>/data/<key>               a storage: numel elements, raw little-endian, usually STORED
//                                  and 64-byte aligned (torch pads the local header's extra field)
//   <top>/version                  serialization version ("3")
//   <top>/byteorder                "little" or "big" (torch >= 2.1); only "little" is read
//   <top>/.data/serialization_id   ignored
//
// <top> is named after the saved file (archive/, mm_sd_v15_v2/): it is found, not assumed.
// The pickle refers to storages by persistent id ('storage', torch.FloatStorage, key, location,
// numel); every referenced storage must exist with exactly numel * element size bytes, and every
// tensor's (offset, size, stride) must stay inside it (checked in the unpickler).
//
// The state dict is flattened: nested dicts join their keys with '.', tensors become TensorInfo,
// and other entries (global_step, epoch, animatediff_config, ...) are kept as metadata strings.
// A top-level "state_dict" dict is used as the state dict (as AnimateDiff's loader and
// Lightning checkpoints have it); failing that, a top-level "module" or "model" dict when the top
// level holds no tensor itself (DeepSpeed and some training scripts).
//
// Tensors are zero-copy strided views of the mapped file when the storage is STORED and aligned
// for its dtype; otherwise (misaligned, or DEFLATED) the bytes the view covers are copied.
//
// The legacy format (torch < 1.6: a bare pickle stream starting with the magic number
// 0x1950a86a20f9469cfc6c) is recognised and refused with advice.
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "io/pytorch_zip.h"
#include "io/tensor_file.h"
#include "io/unpickler.h"

namespace ad::io {

class PytorchFile final : public TensorFile {
 public:
  struct Options {
    // Check the CRC-32 of data.pkl (and of deflated entries). The fuzzer turns it off so that
    // mutated pickles reach the unpickler.
    bool verify_crc = true;
  };

  static std::shared_ptr<PytorchFile> open(const std::string& path);
  // Reads an archive image already in memory; `owner` keeps `image` alive (when null, the caller
  // must keep it alive as long as the file and its tensors). `label` names it in errors.
  static std::shared_ptr<PytorchFile> from_image(std::span<const std::byte> image, std::string label,
                                                 std::shared_ptr<void> owner, Options options);

  const std::string& path() const override { return label_; }
  std::string_view format() const override { return "pytorch"; }
  const std::vector<TensorInfo>& tensors() const override { return infos_; }
  Tensor load(const std::string& name) const override;
  const std::map<std::string, std::string>& metadata() const override { return metadata_; }

  // The archive's top folder, with its trailing '/' ("mm_sd_v15_v2/").
  const std::string& archive_prefix() const { return prefix_; }

 private:
  struct StorageSlot {
    const ZipEntry* entry = nullptr;
  };

  PytorchFile(std::span<const std::byte> image, std::string label, std::shared_ptr<void> owner, Options options);
  void find_prefix();
  void check_byteorder() const;
  void resolve_storages();
  bool holds_state(pickle::ValueId dict);
  void flatten(pickle::ValueId dict, const std::string& prefix, int depth, size_t& budget);
  void add_metadata(const std::string& name, pickle::ValueId value);
  StoragePtr storage_bytes(uint32_t storage) const;

  std::string label_;
  std::shared_ptr<void> owner_;
  Options options_;
  ZipArchive zip_;
  std::string prefix_;
  pickle::Pickle pickle_;
  std::vector<StorageSlot> storages_;
  std::vector<TensorInfo> infos_;
  std::vector<uint32_t> tensor_refs_;  // per info: index into pickle_.tensors
  std::map<std::string, size_t> index_;
  std::map<std::string, std::string> metadata_;
  std::vector<int8_t> holds_state_;  // per value while flattening: -1 unknown, 0 no, 1 yes
  mutable std::mutex inflated_mutex_;
  mutable std::map<uint32_t, std::weak_ptr<Storage>> inflated_;
};

// True when `head` (the first bytes of a file) is a legacy, pre-1.6 torch.save stream.
bool is_legacy_torch_file(std::span<const std::byte> head);

}  // namespace ad::io

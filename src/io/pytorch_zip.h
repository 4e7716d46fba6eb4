// Read-only ZIP container, as torch.save (>= 1.6) writes it (PyTorchStreamWriter, miniz).
//
// Layout, all integers little-endian (APPNOTE.TXT 6.3):
//
//   [local header][data] ...          per entry: u32 0x04034b50, u16 version, u16 flags, u16 method,
//                                     u16 time, u16 date, u32 crc32, u32 csize, u32 usize,
//                                     u16 name_len, u16 extra_len, name, extra, then the data.
//                                     torch pads `extra` so that data starts on a 64-byte boundary
//                                     and sets flag bit 3 (sizes and CRC in a trailing data
//                                     descriptor, zero here): the central directory is authoritative.
//   [central directory]               per entry: u32 0x02014b50, u16 made_by, u16 needed, u16 flags,
//                                     u16 method, u16 time, u16 date, u32 crc32, u32 csize, u32 usize,
//                                     u16 name_len, u16 extra_len, u16 comment_len, u16 disk,
//                                     u16 internal_attr, u32 external_attr, u32 local_header_offset,
//                                     name, extra, comment.
//   [ZIP64 end of central directory]  only when a count, size or offset does not fit 16/32 bits:
//                                     u32 0x06064b50, u64 record_size, u16 made_by, u16 needed,
//                                     u32 disk, u32 cd_disk, u64 entries_on_disk, u64 entries,
//                                     u64 cd_size, u64 cd_offset.
//   [ZIP64 EOCD locator]              u32 0x07064b50, u32 disk, u64 zip64_eocd_offset, u32 disks.
//   [end of central directory]        u32 0x06054b50, u16 disk, u16 cd_disk, u16 entries_on_disk,
//                                     u16 entries, u32 cd_size, u32 cd_offset, u16 comment_len, comment.
//
// A field stored as 0xFFFF / 0xFFFFFFFF means "see ZIP64": the EOCD values then come from the
// ZIP64 record, and an entry's usize, csize and local offset (in that order, only those that
// overflowed) from its extra field with tag 0x0001. Real SD checkpoints (2-8 GB) need this.
//
// Supported: one disk, no encryption, methods STORED (0: a zero-copy view of the image) and
// DEFLATED (8: inflated with zlib into a buffer capped at the declared size). Every offset and
// length is checked against the image size before use; names must be unique.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace ad::io {

struct ZipEntry {
  std::string name;
  uint16_t method = 0;  // 0 stored, 8 deflated
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  uint64_t data_offset = 0;  // absolute offset of the (compressed) data in the image
};

class ZipArchive {
 public:
  // Parses the directory of a whole archive image; `label` names the file in errors. The image
  // must outlive the archive (entries are views into it).
  ZipArchive(std::span<const std::byte> image, std::string label);

  const std::string& label() const { return label_; }
  std::span<const std::byte> image() const { return image_; }
  const std::vector<ZipEntry>& entries() const { return entries_; }
  const ZipEntry* find(std::string_view name) const;

  // The entry's contents: a view into the image for a stored entry; for a deflated one, the
  // bytes inflated into `buffer` (which the span then points into). With `verify_crc`, the
  // CRC-32 is checked too (this reads every byte, so callers skip it for large tensor data).
  std::span<const std::byte> read(const ZipEntry& entry, std::vector<std::byte>& buffer, bool verify_crc) const;

 private:
  std::span<const std::byte> image_;
  std::string label_;
  std::vector<ZipEntry> entries_;
  std::map<std::string, size_t, std::less<>> index_;
};

// True when the image starts like a ZIP archive (a local header or an empty archive's EOCD).
bool looks_like_zip(std::span<const std::byte> head);

}  // namespace ad::io

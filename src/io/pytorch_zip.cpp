#include "io/pytorch_zip.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

#include "core/error.h"
#include "io/byte_reader.h"

namespace ad::io {

namespace {

constexpr uint32_t kLocalHeaderSig = 0x04034b50;
constexpr uint32_t kCentralHeaderSig = 0x02014b50;
constexpr uint32_t kEocdSig = 0x06054b50;
constexpr uint32_t kZip64EocdSig = 0x06064b50;
constexpr uint32_t kZip64LocatorSig = 0x07064b50;
constexpr size_t kEocdSize = 22;
constexpr size_t kZip64LocatorSize = 20;
constexpr size_t kCentralHeaderSize = 46;
constexpr size_t kLocalHeaderSize = 30;
constexpr uint16_t kMethodStored = 0;
constexpr uint16_t kMethodDeflated = 8;
// DEFLATE cannot expand data more than ~1032:1; a larger declared size is a lie (or a bomb).
constexpr uint64_t kMaxDeflateRatio = 1032;
// zlib counts in 32-bit units; feed large entries in chunks.
constexpr size_t kZlibChunk = size_t{1} << 30;

uint32_t sig_at(std::span<const std::byte> image, size_t pos) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<uint32_t>(image[pos + static_cast<size_t>(i)]);
  return v;
}

struct Directory {
  uint64_t entries = 0;
  uint64_t size = 0;
  uint64_t offset = 0;
  uint64_t end_limit = 0;  // the directory must end at or before this offset
};

// Finds the end-of-central-directory record: it is the last 22 bytes plus a comment of at most
// 64 KiB, so scan backwards for a signature whose comment length fits the image exactly.
size_t find_eocd(std::span<const std::byte> image, const std::string& label) {
  AD_CHECK(image.size() >= kEocdSize, "{}: {} bytes is too short for a ZIP archive. Perhaps an incomplete download?",
           label, image.size());
  const size_t last = image.size() - kEocdSize;
  const size_t first = last > 0xffff ? last - 0xffff : 0;
  for (size_t pos = last + 1; pos-- > first;) {
    if (sig_at(image, pos) != kEocdSig) continue;
    const size_t comment = static_cast<size_t>(image[pos + 20]) | (static_cast<size_t>(image[pos + 21]) << 8);
    if (pos + kEocdSize + comment == image.size()) return pos;
  }
  fail("{}: no ZIP end-of-central-directory record (truncated or not a ZIP archive). Perhaps an incomplete download?",
       label);
}

Directory read_directory_location(std::span<const std::byte> image, const std::string& label) {
  const size_t eocd = find_eocd(image, label);
  ByteReader r(image, label, "ZIP end-of-central-directory record");
  r.seek(eocd + 4);
  const uint16_t disk = r.u16();
  const uint16_t cd_disk = r.u16();
  const uint16_t entries_on_disk = r.u16();
  Directory dir;
  dir.entries = r.u16();
  dir.size = r.u32();
  dir.offset = r.u32();
  dir.end_limit = eocd;
  const bool wants_zip64 = dir.entries == 0xffff || dir.size == 0xffffffffu || dir.offset == 0xffffffffu;
  const bool has_locator = eocd >= kZip64LocatorSize && sig_at(image, eocd - kZip64LocatorSize) == kZip64LocatorSig;
  if (has_locator) {
    ByteReader loc(image, label, "ZIP64 end-of-central-directory locator");
    loc.seek(eocd - kZip64LocatorSize + 8);
    const uint64_t record = loc.u64();
    AD_CHECK(record <= eocd - kZip64LocatorSize && eocd - kZip64LocatorSize - record >= 56,
             "{}: ZIP64 end-of-central-directory record offset {} is outside the archive", label, record);
    ByteReader z(image, label, "ZIP64 end-of-central-directory record");
    z.seek(record);
    AD_CHECK(z.u32() == kZip64EocdSig, "{}: bad ZIP64 end-of-central-directory signature at offset {}", label, record);
    z.skip(8 + 2 + 2);  // record size, made by, needed
    const uint32_t disk64 = z.u32();
    const uint32_t cd_disk64 = z.u32();
    const uint64_t entries_on_disk64 = z.u64();
    dir.entries = z.u64();
    dir.size = z.u64();
    dir.offset = z.u64();
    dir.end_limit = record;
    AD_CHECK(disk64 == 0 && cd_disk64 == 0 && entries_on_disk64 == dir.entries,
             "{}: multi-disk ZIP archives are not supported", label);
  } else {
    AD_CHECK(!wants_zip64, "{}: the ZIP directory needs ZIP64 but has no ZIP64 locator. Perhaps an incomplete download?",
             label);
    AD_CHECK(disk == 0 && cd_disk == 0 && entries_on_disk == dir.entries,
             "{}: multi-disk ZIP archives are not supported", label);
  }
  AD_CHECK(dir.offset <= dir.end_limit && dir.size <= dir.end_limit - dir.offset,
           "{}: the ZIP central directory ({} bytes at offset {}) lies outside the archive. Perhaps an incomplete download?",
           label, dir.size, dir.offset);
  AD_CHECK(dir.entries <= dir.size / kCentralHeaderSize,
           "{}: the ZIP directory claims {} entries but is only {} bytes long", label, dir.entries, dir.size);
  return dir;
}

// Overrides the 32-bit fields that overflowed with the values of the ZIP64 extra field (tag 1).
void apply_zip64_extra(std::span<const std::byte> extra, ZipEntry& entry, uint64_t& local_offset, bool need_usize,
                       bool need_csize, bool need_offset, const std::string& label) {
  ByteReader r(extra, label, "ZIP extra field");
  while (r.remaining() >= 4) {
    const uint16_t tag = r.u16();
    const uint16_t size = r.u16();
    auto body = r.bytes(size);
    if (tag != 0x0001) continue;
    ByteReader z(body, label, "ZIP64 extra field");
    if (need_usize) entry.uncompressed_size = z.u64();
    if (need_csize) entry.compressed_size = z.u64();
    if (need_offset) local_offset = z.u64();
    return;
  }
  AD_CHECK(!(need_usize || need_csize || need_offset), "{}: entry '{}' needs a ZIP64 extra field but has none", label,
           entry.name);
}

ZipEntry read_central_entry(ByteReader& r, std::span<const std::byte> image, const Directory& dir,
                            const std::string& label) {
  const size_t at = r.pos();
  AD_CHECK(r.u32() == kCentralHeaderSig, "{}: bad ZIP central directory signature at offset {}", label, dir.offset + at);
  r.skip(4);  // made by, needed
  const uint16_t flags = r.u16();
  ZipEntry entry;
  entry.method = r.u16();
  r.skip(4);  // time, date
  entry.crc32 = r.u32();
  entry.compressed_size = r.u32();
  entry.uncompressed_size = r.u32();
  const uint16_t name_len = r.u16();
  const uint16_t extra_len = r.u16();
  const uint16_t comment_len = r.u16();
  r.skip(2 + 2 + 4);  // disk, internal and external attributes
  uint64_t local_offset = r.u32();
  auto name = r.bytes(name_len);
  entry.name.assign(reinterpret_cast<const char*>(name.data()), name.size());
  apply_zip64_extra(r.bytes(extra_len), entry, local_offset, entry.uncompressed_size == 0xffffffffu,
                    entry.compressed_size == 0xffffffffu, local_offset == 0xffffffffu, label);
  r.skip(comment_len);

  AD_CHECK((flags & 0x1u) == 0, "{}: entry '{}' is encrypted", label, entry.name);
  AD_CHECK(entry.method == kMethodStored || entry.method == kMethodDeflated,
           "{}: entry '{}' uses ZIP compression method {} (only stored and deflated are supported)", label, entry.name,
           entry.method);
  AD_CHECK(entry.method != kMethodStored || entry.compressed_size == entry.uncompressed_size,
           "{}: stored entry '{}' has compressed size {} but uncompressed size {}", label, entry.name,
           entry.compressed_size, entry.uncompressed_size);

  // The local header repeats the name and has its own extra field (torch's alignment padding).
  AD_CHECK(local_offset <= dir.offset && dir.offset - local_offset >= kLocalHeaderSize,
           "{}: entry '{}': local header offset {} is outside the data area", label, entry.name, local_offset);
  ByteReader local(image.first(static_cast<size_t>(dir.offset)), label, "ZIP local header");
  local.seek(local_offset);
  AD_CHECK(local.u32() == kLocalHeaderSig, "{}: entry '{}': bad local header signature at offset {}", label,
           entry.name, local_offset);
  local.skip(22);
  const uint16_t local_name_len = local.u16();
  const uint16_t local_extra_len = local.u16();
  local.skip(static_cast<uint64_t>(local_name_len) + local_extra_len);
  entry.data_offset = local.pos();
  AD_CHECK(entry.compressed_size <= local.remaining(),
           "{}: entry '{}': {} bytes of data at offset {} run past the data area ({} bytes). Perhaps an incomplete download?",
           label, entry.name, entry.compressed_size, entry.data_offset, dir.offset);
  return entry;
}

uint32_t crc32_of(std::span<const std::byte> data) {
  uLong crc = crc32(0L, Z_NULL, 0);
  for (size_t pos = 0; pos < data.size(); pos += kZlibChunk) {
    const size_t n = std::min(kZlibChunk, data.size() - pos);
    crc = crc32(crc, reinterpret_cast<const Bytef*>(data.data() + pos), static_cast<uInt>(n));
  }
  return static_cast<uint32_t>(crc);
}

// Inflates raw DEFLATE data into `out`, growing it as output arrives (so a lying declared size
// costs nothing) up to one byte past `declared`: reaching that byte means the data is larger.
void inflate_into(std::span<const std::byte> in, uint64_t declared, std::vector<std::byte>& out,
                  const std::string& label, const std::string& name) {
  out.clear();
  z_stream zs{};
  AD_CHECK(inflateInit2(&zs, -MAX_WBITS) == Z_OK, "{}: entry '{}': cannot initialise zlib", label, name);
  const size_t limit = static_cast<size_t>(declared) + 1;
  size_t in_pos = 0;
  int status = Z_OK;
  for (;;) {
    if (zs.avail_in == 0 && in_pos < in.size()) {
      const size_t n = std::min(kZlibChunk, in.size() - in_pos);
      zs.next_in = const_cast<Bytef*>(reinterpret_cast<const Bytef*>(in.data() + in_pos));
      zs.avail_in = static_cast<uInt>(n);
      in_pos += n;
    }
    if (zs.avail_out == 0) {
      const size_t written = out.size();
      if (written >= limit) break;
      out.resize(std::min(limit, std::max<size_t>(written * 2, size_t{1} << 16)));
      zs.next_out = reinterpret_cast<Bytef*>(out.data() + written);
      zs.avail_out = static_cast<uInt>(std::min(kZlibChunk, out.size() - written));
      out.resize(written + zs.avail_out);
    }
    status = inflate(&zs, Z_NO_FLUSH);
    if (status == Z_STREAM_END) break;
    if (status == Z_OK) continue;
    if (status == Z_BUF_ERROR && (zs.avail_out == 0 || (zs.avail_in == 0 && in_pos < in.size()))) continue;
    break;  // corrupt data, or input exhausted before the end of the stream
  }
  const uint64_t produced = zs.total_out;
  inflateEnd(&zs);
  out.resize(static_cast<size_t>(std::min<uint64_t>(produced, out.size())));
  AD_CHECK(produced <= declared, "{}: entry '{}' inflates to more than its declared {} bytes", label, name, declared);
  AD_CHECK(status == Z_STREAM_END, "{}: entry '{}': corrupt or truncated deflate data (zlib status {})", label, name,
           status);
  AD_CHECK(produced == declared, "{}: entry '{}' inflates to {} bytes but declares {}", label, name, produced, declared);
}

}  // namespace

bool looks_like_zip(std::span<const std::byte> head) {
  if (head.size() < 4) return false;
  const uint32_t sig = sig_at(head, 0);
  return sig == kLocalHeaderSig || sig == kEocdSig;
}

ZipArchive::ZipArchive(std::span<const std::byte> image, std::string label) : image_(image), label_(std::move(label)) {
  const Directory dir = read_directory_location(image_, label_);
  ByteReader r(image_.subspan(static_cast<size_t>(dir.offset), static_cast<size_t>(dir.size)), label_,
               "ZIP central directory");
  entries_.reserve(static_cast<size_t>(dir.entries));
  for (uint64_t i = 0; i < dir.entries; ++i) {
    ZipEntry entry = read_central_entry(r, image_, dir, label_);
    AD_CHECK(index_.emplace(entry.name, entries_.size()).second, "{}: ZIP entry '{}' appears twice", label_, entry.name);
    entries_.push_back(std::move(entry));
  }
}

const ZipEntry* ZipArchive::find(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &entries_[it->second];
}

std::span<const std::byte> ZipArchive::read(const ZipEntry& entry, std::vector<std::byte>& buffer,
                                            bool verify_crc) const {
  auto raw = image_.subspan(static_cast<size_t>(entry.data_offset), static_cast<size_t>(entry.compressed_size));
  std::span<const std::byte> data = raw;
  if (entry.method == kMethodDeflated) {
    AD_CHECK(entry.uncompressed_size <= entry.compressed_size * kMaxDeflateRatio + 1024,
             "{}: entry '{}' claims {} bytes from {} compressed bytes, more than DEFLATE can produce", label_,
             entry.name, entry.uncompressed_size, entry.compressed_size);
    inflate_into(raw, entry.uncompressed_size, buffer, label_, entry.name);
    data = buffer;
  }
  if (verify_crc) {
    const uint32_t crc = crc32_of(data);
    AD_CHECK(crc == entry.crc32, "{}: entry '{}' fails its CRC-32 check (0x{:08x}, expected 0x{:08x}). Perhaps a corrupt download?",
             label_, entry.name, crc, entry.crc32);
  }
  return data;
}

}  // namespace ad::io

// A bounds-checked little-endian cursor over a byte span, shared by the binary parsers (ZIP,
// pickle). Every read checks the remaining length first and throws ad::Error naming the file,
// the structure being read and the offset, so a truncated or lying file can never read past it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "core/error.h"

namespace ad::io {

class ByteReader {
 public:
  ByteReader(std::span<const std::byte> data, const std::string& label, std::string_view what)
      : data_(data), label_(&label), what_(what) {}

  size_t pos() const { return pos_; }
  size_t size() const { return data_.size(); }
  size_t remaining() const { return data_.size() - pos_; }
  bool at_end() const { return pos_ == data_.size(); }

  void seek(uint64_t pos) {
    AD_CHECK(pos <= data_.size(), "{}: {}: offset {} is beyond the end ({} bytes). Perhaps an incomplete download?",
             *label_, what_, pos, data_.size());
    pos_ = static_cast<size_t>(pos);
  }
  std::span<const std::byte> bytes(uint64_t n) {
    need(n);
    auto out = data_.subspan(pos_, static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return out;
  }
  void skip(uint64_t n) { bytes(n); }
  uint8_t u8() { return static_cast<uint8_t>(le(1)); }
  uint16_t u16() { return static_cast<uint16_t>(le(2)); }
  uint32_t u32() { return static_cast<uint32_t>(le(4)); }
  uint64_t u64() { return le(8); }

 private:
  void need(uint64_t n) const {
    AD_CHECK(n <= remaining(), "{}: {} truncated at offset {}: needs {} bytes, {} left. Perhaps an incomplete download?",
             *label_, what_, pos_, n, remaining());
  }
  uint64_t le(int n) {
    need(static_cast<uint64_t>(n));
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<uint64_t>(data_[pos_ + static_cast<size_t>(i)]);
    pos_ += static_cast<size_t>(n);
    return v;
  }

  std::span<const std::byte> data_;
  const std::string* label_;
  std::string_view what_;
  size_t pos_ = 0;
};

}  // namespace ad::io

// A read-only memory mapping of a whole file. Checkpoint tensors are views into it, so weights
// are paged in on first use and shared with the page cache instead of copied.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

namespace ad::io {

class MappedFile {
 public:
  // Throws ad::Error naming the path when the file cannot be opened or mapped.
  static std::shared_ptr<MappedFile> open(const std::string& path);
  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::string& path() const { return path_; }
  const std::byte* data() const { return data_; }
  size_t size() const { return size_; }
  // Gives this process's resident pages of the mapping back to the kernel (MADV_DONTNEED): the
  // data stays valid and is read again from the file (page cache) on the next access. For weights
  // used once, layer by layer, so that they do not all stay resident.
  void drop_resident() const;

 private:
  MappedFile() = default;
  std::string path_;
  std::byte* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace ad::io

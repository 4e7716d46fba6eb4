// Internal: one writer per format behind VideoWriter::open, and the base of the writers that
// produce one container file through "<path>.part".
#pragma once

#include <memory>
#include <span>
#include <string>

#include "video/video_writer.h"

namespace ad::video {

std::unique_ptr<VideoWriter> make_yuv_writer(const VideoWriterOptions& options);  // mp4, webm
std::unique_ptr<VideoWriter> make_webp_writer(const VideoWriterOptions& options);
std::unique_ptr<VideoWriter> make_gif_writer(const VideoWriterOptions& options);
std::unique_ptr<VideoWriter> make_png_sequence_writer(const VideoWriterOptions& options);

// Frame-count bookkeeping and size checks shared by every writer.
class WriterBase : public VideoWriter {
 protected:
  explicit WriterBase(const VideoWriterOptions& options) : options_(options) {}
  // Throws unless rgb holds one height x width x 3 frame and finish() has not been called.
  void check_frame(std::span<const uint8_t> rgb) const;
  // Throws when finish() was called already or no frame was written; then marks finished.
  void begin_finish();

  VideoWriterOptions options_;
  bool finished_ = false;
};

// Writes to "<path>.part"; commit() renames it to <path>. Destroyed uncommitted, it removes the
// .part file (derived members, such as the muxer holding the file, are gone by then).
class ContainerWriter : public WriterBase {
 public:
  ~ContainerWriter() override;

 protected:
  explicit ContainerWriter(const VideoWriterOptions& options);
  void commit();

  std::string part_path_;
  bool committed_ = false;
};

}  // namespace ad::video

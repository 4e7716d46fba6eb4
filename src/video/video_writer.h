// Video writers: frames in, one file (or a numbered PNG sequence) out.
//
//   VideoWriterOptions options;            // path, width, height, fps, metadata, quality
//   options.path = "out.mp4";
//   check_video_output(options.path, w, h); // before any compute: extension, encoder, directory
//   auto writer = VideoWriter::open(options);
//   for (...) writer->write_frame(rgb);     // one frame at a time: [H, W, 3] uint8 RGB, row-major
//   writer->finish();                       // flush the encoder, write the trailer, rename into place
//
// The output format comes from the path (see docs/video.md for codecs, options and metadata):
//   .mp4   H.264 (libx264), yuv420p, BT.709 limited range, moov first (+faststart)
//   .webm  VP9 (libvpx-vp9), yuv420p, BT.709 limited range
//   .gif   one palette for the whole clip (median cut over all frames, ordered dither), loops forever
//   .webp  animated WebP (libwebp_anim), loops forever
//   .png   numbered frames by our own PNG writer: "out.png" -> out_0000.png, out_0001.png, ...;
//          "frames/frame_%04d.png" -> that pattern; an existing directory or a path ending in "/"
//          -> <dir>/frame_0000.png, ...
// mp4 and webm need an even width and height (yuv420p); other sizes are rejected, not padded.
//
// Container outputs are written to "<path>.part" and renamed to <path> by finish(); a writer
// destroyed without finish() (an error, a cancelled run) removes its .part file, so a failed run
// never leaves a broken file nor clobbers an existing one. PNG frames are final once written.
// Memory does not grow with the frame count (GIF spills frames to an unlinked temporary file next
// to the output; WebP: libwebp keeps the compressed animation until finish()).
// Errors are ad::Error, one line naming the output path, the failed call and FFmpeg's reason.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace ad::video {

enum class VideoFormat { Mp4, Webm, Gif, Webp, PngFrames };

struct VideoWriterOptions {
  std::string path;
  int width = 0;
  int height = 0;
  double fps = 8.0;
  // Embedded as container tags (mp4, webm), a JSON comment (gif), XMP (webp), tEXt/iTXt (png).
  // Keys: 1-79 characters of [A-Za-z0-9_-], starting with a letter; values: UTF-8 without NUL.
  // Suggested keys: prompt, negative_prompt, seed, steps, cfg, sampler, model, motion_module,
  // software (see metadata_keys in docs/video.md).
  std::map<std::string, std::string> metadata;
  // 1..100, higher is better and larger: H.264 crf = 51 - 0.44 q (75 -> 18), VP9 crf = 63 - 0.52 q
  // (75 -> 24), WebP quality = q. Ignored by GIF (256 colours) and PNG (lossless).
  int quality = 75;
};

class VideoWriter {
 public:
  virtual ~VideoWriter() = default;
  // Checks the options (as check_video_output, plus fps, quality and metadata) and creates the
  // output; throws ad::Error.
  static std::unique_ptr<VideoWriter> open(const VideoWriterOptions& options);

  // One frame of height * width * 3 bytes, RGB, row-major.
  virtual void write_frame(std::span<const uint8_t> rgb) = 0;
  // Flushes and closes the output. At least one frame must have been written.
  virtual void finish() = 0;

  int64_t frames_written() const { return frames_written_; }
  // The files written: one container, or each PNG frame.
  const std::vector<std::string>& output_files() const { return output_files_; }

 protected:
  int64_t frames_written_ = 0;
  std::vector<std::string> output_files_;
};

// "mp4", "webm", "gif", "webp", "png".
std::vector<std::string> supported_video_extensions();
// The format for a path (by extension, case-insensitive; a directory or a trailing "/" means PNG
// frames). Throws for an unknown extension, listing the supported ones.
VideoFormat video_format_for_path(const std::string& path);
const char* video_format_name(VideoFormat format);

// The checks the CLI runs before any compute: known extension, the encoder and muxer present in
// this FFmpeg build, a size the format accepts, an existing writable directory, a valid PNG
// frame pattern. Throws ad::Error with one clear line.
void check_video_output(const std::string& path, int width, int height);

// PNG sequences: the file name of frame `index` for an output path ("out.png" -> "out_0007.png").
std::string png_frame_path(const std::string& path, int64_t index);

}  // namespace ad::video

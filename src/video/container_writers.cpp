// mp4 (H.264) and webm (VP9) through swscale's RGB -> yuv420p, and animated WebP; the shared
// WriterBase / ContainerWriter.
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/error.h"
#include "video/av_encoder.h"
#include "video/webp_file.h"
#include "video/writers.h"

namespace ad::video {

void WriterBase::check_frame(std::span<const uint8_t> rgb) const {
  AD_CHECK(!finished_, "video '{}': write_frame after finish", options_.path);
  const size_t expected = static_cast<size_t>(options_.width) * options_.height * 3;
  AD_CHECK(rgb.size() == expected, "video '{}': frame {} has {} bytes; expected {}x{}x3 = {}", options_.path,
           frames_written_, rgb.size(), options_.height, options_.width, expected);
}

void WriterBase::begin_finish() {
  AD_CHECK(!finished_, "video '{}': finish called twice", options_.path);
  AD_CHECK(frames_written_ > 0, "video '{}': no frames were written", options_.path);
  finished_ = true;
}

ContainerWriter::ContainerWriter(const VideoWriterOptions& options)
    : WriterBase(options), part_path_(options.path + ".part") {
  output_files_.push_back(options.path);
}

ContainerWriter::~ContainerWriter() {
  if (!committed_) std::remove(part_path_.c_str());
}

void ContainerWriter::commit() {
  std::error_code ec;
  std::filesystem::rename(part_path_, options_.path, ec);
  AD_CHECK(!ec, "video '{}': cannot rename '{}' into place: {}", options_.path, part_path_, ec.message());
  committed_ = true;
}

namespace {

EncoderSpec base_spec(const VideoWriterOptions& options, const std::string& part_path) {
  EncoderSpec spec;
  spec.path = options.path;
  spec.file_path = part_path;
  spec.width = options.width;
  spec.height = options.height;
  spec.fps = options.fps;
  return spec;
}

// RGB24 -> yuv420p (BT.709, limited range), H.264 or VP9.
class YuvWriter final : public ContainerWriter {
 public:
  explicit YuvWriter(const VideoWriterOptions& options) : ContainerWriter(options), encoder_(make_spec()) {
    const int flags = SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INP;
    sws_.reset(sws_getContext(options.width, options.height, AV_PIX_FMT_RGB24, options.width, options.height,
                              AV_PIX_FMT_YUV420P, flags, nullptr, nullptr, nullptr));
    AD_CHECK(sws_ != nullptr, "video '{}': sws_getContext (rgb24 -> yuv420p) failed", options.path);
    const int* bt709 = sws_getCoefficients(SWS_CS_ITU709);
    // Source: full-range RGB; destination: BT.709 limited range, as the stream is tagged.
    av_check(sws_setColorspaceDetails(sws_.get(), bt709, 1, bt709, 0, 0, 1 << 16, 1 << 16),
             "sws_setColorspaceDetails", options.path);
  }

  void write_frame(std::span<const uint8_t> rgb) override {
    check_frame(rgb);
    AVFrame* frame = encoder_.next_frame();
    const uint8_t* source[1] = {rgb.data()};
    const int source_stride[1] = {options_.width * 3};
    sws_scale(sws_.get(), source, source_stride, 0, options_.height, frame->data, frame->linesize);
    encoder_.send_frame();
    ++frames_written_;
  }

  void finish() override {
    begin_finish();
    encoder_.finish();
    commit();
  }

 private:
  EncoderSpec make_spec() const {
    EncoderSpec spec = base_spec(options_, part_path_);
    spec.pixel_format = AV_PIX_FMT_YUV420P;
    spec.bt709 = true;
    spec.tags = options_.metadata;
    const double q = options_.quality;
    if (video_format_for_path(options_.path) == VideoFormat::Mp4) {
      spec.muxer = "mp4";
      spec.encoder = "libx264";
      spec.codec_options = {{"preset", "medium"}, {"crf", std::to_string(std::lround(51.0 - 0.44 * q))}};
      // moov first for browsers; metadata as mdta keys so that any key survives.
      spec.muxer_options = {{"movflags", "+faststart+use_metadata_tags"}};
    } else {
      spec.muxer = "webm";
      spec.encoder = "libvpx-vp9";
      spec.codec_options = {{"crf", std::to_string(std::lround(63.0 - 0.52 * q))},
                            {"b", "0"},  // constant quality
                            {"deadline", "good"},
                            {"cpu-used", "2"},
                            {"row-mt", "1"}};
    }
    return spec;
  }

  AvEncoder encoder_;
  SwsContextPtr sws_;
};

// RGB24 -> BGRA (libwebp converts to its own YUV); metadata as XMP appended after the muxer.
class WebpWriter final : public ContainerWriter {
 public:
  explicit WebpWriter(const VideoWriterOptions& options) : ContainerWriter(options), encoder_(make_spec()) {}

  void write_frame(std::span<const uint8_t> rgb) override {
    check_frame(rgb);
    AVFrame* frame = encoder_.next_frame();
    for (int y = 0; y < options_.height; ++y) {
      const uint8_t* source = rgb.data() + static_cast<size_t>(y) * options_.width * 3;
      uint8_t* row = frame->data[0] + static_cast<ptrdiff_t>(y) * frame->linesize[0];
      for (int x = 0; x < options_.width; ++x) {  // AV_PIX_FMT_BGRA: bytes B, G, R, A
        row[4 * x + 0] = source[3 * x + 2];
        row[4 * x + 1] = source[3 * x + 1];
        row[4 * x + 2] = source[3 * x + 0];
        row[4 * x + 3] = 255;
      }
    }
    encoder_.send_frame();
    ++frames_written_;
  }

  void finish() override {
    begin_finish();
    encoder_.finish();
    if (!options_.metadata.empty()) append_webp_xmp(part_path_, options_.path, options_.metadata);
    commit();
  }

 private:
  EncoderSpec make_spec() const {
    EncoderSpec spec = base_spec(options_, part_path_);
    spec.muxer = "webp";
    spec.encoder = "libwebp_anim";
    spec.pixel_format = AV_PIX_FMT_BGRA;
    spec.codec_options = {{"quality", std::to_string(options_.quality)}};
    spec.muxer_options = {{"loop", "0"}};  // forever (libwebp_anim writes its own ANIM chunk: also 0)
    return spec;
  }

  AvEncoder encoder_;
};

}  // namespace

std::unique_ptr<VideoWriter> make_yuv_writer(const VideoWriterOptions& options) {
  return std::make_unique<YuvWriter>(options);
}

std::unique_ptr<VideoWriter> make_webp_writer(const VideoWriterOptions& options) {
  return std::make_unique<WebpWriter>(options);
}

}  // namespace ad::video

// GIF: two passes. write_frame adds the frame to the colour histogram and spills it to an
// unlinked temporary file next to the output; finish() makes the palette (gif_palette.h), maps
// every frame to PAL8 and encodes it with FFmpeg's gif encoder and muxer (loop forever), then
// appends the metadata as a JSON comment extension (gif_file.h).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "video/av_encoder.h"
#include "video/gif_file.h"
#include "video/gif_palette.h"
#include "video/writers.h"

namespace ad::video {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

class GifWriter final : public ContainerWriter {
 public:
  explicit GifWriter(const VideoWriterOptions& options) : ContainerWriter(options) {
    const std::string spill_path = part_path_ + ".frames";
    spill_.reset(std::fopen(spill_path.c_str(), "w+b"));
    AD_CHECK(spill_ != nullptr, "video '{}': cannot create the frame spill file '{}': {}", options.path, spill_path,
             std::strerror(errno));
    std::remove(spill_path.c_str());  // the open handle keeps it; nothing is left behind on a crash
  }

  void write_frame(std::span<const uint8_t> rgb) override {
    check_frame(rgb);
    histogram_.add(rgb);
    AD_CHECK(std::fwrite(rgb.data(), 1, rgb.size(), spill_.get()) == rgb.size(),
             "video '{}': cannot spill frame {} to a temporary file: {}", options_.path, frames_written_,
             std::strerror(errno));
    ++frames_written_;
  }

  void finish() override {
    begin_finish();
    const int width = options_.width, height = options_.height;
    // 255 colours; index 255 is transparent, for the encoder's "unchanged pixel" optimisation.
    const std::vector<Rgb> colors = histogram_.median_cut(255);
    PaletteMapper mapper(colors);
    uint32_t palette[256] = {};
    for (size_t i = 0; i < colors.size(); ++i) {
      palette[i] = 0xFF000000u | static_cast<uint32_t>(colors[i][0]) << 16 | static_cast<uint32_t>(colors[i][1]) << 8 |
                   colors[i][2];
    }
    palette[255] = 0x00000000u;

    EncoderSpec spec;
    spec.path = options_.path;
    spec.file_path = part_path_;
    spec.muxer = "gif";
    spec.encoder = "gif";
    spec.pixel_format = AV_PIX_FMT_PAL8;
    spec.width = width;
    spec.height = height;
    spec.fps = options_.fps;
    spec.muxer_options = {{"loop", "0"}};  // forever
    AvEncoder encoder(spec);

    std::vector<uint8_t> rgb(static_cast<size_t>(width) * height * 3);
    AD_CHECK(std::fflush(spill_.get()) == 0 && std::fseek(spill_.get(), 0, SEEK_SET) == 0,
             "video '{}': cannot rewind the frame spill file: {}", options_.path, std::strerror(errno));
    for (int64_t i = 0; i < frames_written_; ++i) {
      AD_CHECK(std::fread(rgb.data(), 1, rgb.size(), spill_.get()) == rgb.size(),
               "video '{}': cannot read frame {} back from the spill file", options_.path, i);
      AVFrame* frame = encoder.next_frame();
      std::memcpy(frame->data[1], palette, sizeof(palette));
      mapper.map(rgb, width, height, frame->data[0], frame->linesize[0]);
      encoder.send_frame();
    }
    encoder.finish();
    spill_.reset();
    if (!options_.metadata.empty()) {
      append_gif_comment(part_path_, options_.path, comment_text());
    }
    commit();
  }

 private:
  // One JSON object, ASCII only (GIF comments are meant to be 7-bit text): non-ASCII as \uXXXX.
  std::string comment_text() const {
    return nlohmann::json(options_.metadata).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
  }

  std::unique_ptr<std::FILE, FileCloser> spill_;
  ColorHistogram histogram_;
};

}  // namespace

std::unique_ptr<VideoWriter> make_gif_writer(const VideoWriterOptions& options) {
  return std::make_unique<GifWriter>(options);
}

}  // namespace ad::video

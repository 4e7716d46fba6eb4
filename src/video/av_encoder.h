// One encoder feeding one muxer: FFmpeg's send-frame / receive-packet loop with the final flush,
// av_interleaved_write_frame and the trailer (doc/examples/encode_video.c, mux.c). Internal.
#pragma once

#include <map>
#include <string>

#include "video/libav_util.h"

namespace ad::video {

struct EncoderSpec {
  std::string path;       // the output path, for messages
  std::string file_path;  // where the muxer writes (path + ".part")
  std::string muxer;      // "mp4", "webm", "gif", "webp"
  std::string encoder;    // "libx264", "libvpx-vp9", "gif", "libwebp_anim"
  AVPixelFormat pixel_format = AV_PIX_FMT_YUV420P;
  int width = 0;
  int height = 0;
  double fps = 8.0;
  int global_quality = -1;  // codec_context->global_quality when >= 0
  bool bt709 = false;       // tag BT.709 limited range (what our RGB -> YUV conversion makes)
  std::map<std::string, std::string> codec_options;  // the encoder's private options
  std::map<std::string, std::string> muxer_options;
  std::map<std::string, std::string> tags;  // container metadata
};

class AvEncoder {
 public:
  explicit AvEncoder(const EncoderSpec& spec);

  // The frame to fill next (encoder's pixel format and size), made writable.
  AVFrame* next_frame();
  // Encodes next_frame() with the next timestamp.
  void send_frame();
  // Flushes the encoder, writes the trailer and closes the file.
  void finish();

 private:
  void encode(const AVFrame* frame);  // nullptr flushes

  EncoderSpec spec_;
  AvOutputContextPtr format_;
  AvCodecContextPtr codec_;
  AVStream* stream_ = nullptr;  // owned by format_
  AvFramePtr frame_;
  AvPacketPtr packet_;
  int64_t next_pts_ = 0;
};

}  // namespace ad::video

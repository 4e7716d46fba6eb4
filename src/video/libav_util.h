// RAII owners for libav* objects and the checking helper every libav* call goes through.
// Internal to src/video.
#pragma once

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/dict.h>
#include <libavutil/frame.h>
#include <libswscale/swscale.h>
}

#include <memory>
#include <string>
#include <string_view>

namespace ad::video {

struct AvFrameDeleter {
  void operator()(AVFrame* p) const { av_frame_free(&p); }
};
struct AvPacketDeleter {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct AvCodecContextDeleter {
  void operator()(AVCodecContext* p) const { avcodec_free_context(&p); }
};
struct SwsContextDeleter {
  void operator()(SwsContext* p) const { sws_freeContext(p); }
};
// An output context: closes its file (if opened) and frees the context.
struct AvOutputContextDeleter {
  void operator()(AVFormatContext* p) const {
    if (p->pb && !(p->oformat->flags & AVFMT_NOFILE)) avio_closep(&p->pb);
    avformat_free_context(p);
  }
};
struct AvInputContextDeleter {
  void operator()(AVFormatContext* p) const { avformat_close_input(&p); }
};

using AvFramePtr = std::unique_ptr<AVFrame, AvFrameDeleter>;
using AvPacketPtr = std::unique_ptr<AVPacket, AvPacketDeleter>;
using AvCodecContextPtr = std::unique_ptr<AVCodecContext, AvCodecContextDeleter>;
using SwsContextPtr = std::unique_ptr<SwsContext, SwsContextDeleter>;
using AvOutputContextPtr = std::unique_ptr<AVFormatContext, AvOutputContextDeleter>;
using AvInputContextPtr = std::unique_ptr<AVFormatContext, AvInputContextDeleter>;

class AvDictionary {
 public:
  AvDictionary() = default;
  AvDictionary(const AvDictionary&) = delete;
  AvDictionary& operator=(const AvDictionary&) = delete;
  ~AvDictionary() { av_dict_free(&dict_); }
  void set(const std::string& key, const std::string& value);
  AVDictionary** get() { return &dict_; }
  // The keys left after an open call: options FFmpeg did not recognise ("" when none).
  std::string leftover_keys() const;

 private:
  AVDictionary* dict_ = nullptr;
};

AvFramePtr make_frame();
AvPacketPtr make_packet();

// Routes FFmpeg's log through a hook that remembers this thread's last error line (added to our
// error messages) and lowers FFmpeg's default INFO level to ERROR (encoders are chatty).
void install_av_log_hook();

// Throws ad::Error("video 'PATH': WHAT failed: <av_strerror>[ (ffmpeg: <last log line>)]") when
// ret < 0; returns ret otherwise.
int av_check(int ret, std::string_view what, const std::string& path);
[[noreturn]] void av_fail(int ret, std::string_view what, const std::string& path);
std::string av_error_text(int ret);

}  // namespace ad::video

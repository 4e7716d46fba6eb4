#include "video/av_encoder.h"

#include "core/error.h"

extern "C" {
#include <libavutil/rational.h>
}

namespace ad::video {

AvEncoder::AvEncoder(const EncoderSpec& spec) : spec_(spec) {
  install_av_log_hook();
  const std::string& path = spec_.path;
  const AVOutputFormat* output_format = av_guess_format(spec_.muxer.c_str(), nullptr, nullptr);
  AD_CHECK(output_format != nullptr, "video '{}': this FFmpeg build has no '{}' muxer", path, spec_.muxer);
  const AVCodec* codec = avcodec_find_encoder_by_name(spec_.encoder.c_str());
  AD_CHECK(codec != nullptr, "video '{}': this FFmpeg build has no '{}' encoder", path, spec_.encoder);

  // "file:" keeps a ':' in the path from being read as a protocol name.
  const std::string url = "file:" + spec_.file_path;
  AVFormatContext* raw_format = nullptr;
  av_check(avformat_alloc_output_context2(&raw_format, output_format, nullptr, url.c_str()),
           "avformat_alloc_output_context2", path);
  format_.reset(raw_format);
  stream_ = avformat_new_stream(format_.get(), nullptr);
  AD_CHECK(stream_ != nullptr, "video '{}': avformat_new_stream: out of memory", path);

  codec_.reset(avcodec_alloc_context3(codec));
  AD_CHECK(codec_ != nullptr, "video '{}': avcodec_alloc_context3: out of memory", path);
  const AVRational rate = av_d2q(spec_.fps, 1001000);  // 8 -> 8/1, 29.97 -> 30000/1001
  codec_->width = spec_.width;
  codec_->height = spec_.height;
  codec_->pix_fmt = spec_.pixel_format;
  codec_->time_base = av_inv_q(rate);
  codec_->framerate = rate;
  codec_->sample_aspect_ratio = AVRational{1, 1};
  codec_->thread_count = 0;  // automatic
  if (spec_.global_quality >= 0) codec_->global_quality = spec_.global_quality;
  if (spec_.bt709) {
    codec_->color_range = AVCOL_RANGE_MPEG;
    codec_->color_primaries = AVCOL_PRI_BT709;
    codec_->color_trc = AVCOL_TRC_BT709;
    codec_->colorspace = AVCOL_SPC_BT709;
  }
  if (output_format->flags & AVFMT_GLOBALHEADER) codec_->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;

  AvDictionary codec_options;
  for (const auto& [key, value] : spec_.codec_options) codec_options.set(key, value);
  av_check(avcodec_open2(codec_.get(), codec, codec_options.get()), "avcodec_open2 (" + spec_.encoder + ")", path);
  const std::string unknown_codec_options = codec_options.leftover_keys();
  AD_CHECK(unknown_codec_options.empty(), "video '{}': encoder {} does not know the options {}", path,
           spec_.encoder, unknown_codec_options);
  av_check(avcodec_parameters_from_context(stream_->codecpar, codec_.get()), "avcodec_parameters_from_context",
           path);
  stream_->time_base = codec_->time_base;  // a wish: the muxer may choose another
  stream_->avg_frame_rate = rate;

  for (const auto& [key, value] : spec_.tags) {
    AD_CHECK(av_dict_set(&format_->metadata, key.c_str(), value.c_str(), 0) >= 0, "av_dict_set: out of memory");
  }
  av_check(avio_open(&format_->pb, url.c_str(), AVIO_FLAG_WRITE), "avio_open", path);
  AvDictionary muxer_options;
  for (const auto& [key, value] : spec_.muxer_options) muxer_options.set(key, value);
  av_check(avformat_write_header(format_.get(), muxer_options.get()), "avformat_write_header (" + spec_.muxer + ")",
           path);
  const std::string unknown_muxer_options = muxer_options.leftover_keys();
  AD_CHECK(unknown_muxer_options.empty(), "video '{}': muxer {} does not know the options {}", path, spec_.muxer,
           unknown_muxer_options);

  frame_ = make_frame();
  frame_->format = spec_.pixel_format;
  frame_->width = spec_.width;
  frame_->height = spec_.height;
  frame_->sample_aspect_ratio = codec_->sample_aspect_ratio;
  if (spec_.bt709) {
    frame_->color_range = codec_->color_range;
    frame_->color_primaries = codec_->color_primaries;
    frame_->color_trc = codec_->color_trc;
    frame_->colorspace = codec_->colorspace;
  }
  av_check(av_frame_get_buffer(frame_.get(), 0), "av_frame_get_buffer", path);
  packet_ = make_packet();
}

AVFrame* AvEncoder::next_frame() {
  // The encoder may still hold a reference to the previous frame's buffers.
  av_check(av_frame_make_writable(frame_.get()), "av_frame_make_writable", spec_.path);
  return frame_.get();
}

void AvEncoder::send_frame() {
  frame_->pts = next_pts_++;
  encode(frame_.get());
}

void AvEncoder::encode(const AVFrame* frame) {
  const std::string& path = spec_.path;
  av_check(avcodec_send_frame(codec_.get(), frame), frame ? "avcodec_send_frame" : "avcodec_send_frame (flush)",
           path);
  while (true) {
    const int ret = avcodec_receive_packet(codec_.get(), packet_.get());
    if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return;
    av_check(ret, "avcodec_receive_packet", path);
    av_packet_rescale_ts(packet_.get(), codec_->time_base, stream_->time_base);
    packet_->stream_index = stream_->index;
    // Takes the packet's reference (the packet is left blank).
    av_check(av_interleaved_write_frame(format_.get(), packet_.get()), "av_interleaved_write_frame", path);
  }
}

void AvEncoder::finish() {
  encode(nullptr);
  av_check(av_write_trailer(format_.get()), "av_write_trailer", spec_.path);
  av_check(avio_closep(&format_->pb), "avio_close", spec_.path);
}

}  // namespace ad::video

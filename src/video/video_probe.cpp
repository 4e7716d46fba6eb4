#include "video/video_probe.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "core/error.h"
#include "video/gif_file.h"
#include "video/libav_util.h"
#include "video/png_writer.h"
#include "video/webp_file.h"

extern "C" {
#include <libavutil/pixdesc.h>
}

namespace ad::video {
namespace {

void add_tags(const AVDictionary* dict, std::map<std::string, std::string>& tags) {
  const AVDictionaryEntry* entry = nullptr;
  while ((entry = av_dict_get(dict, "", entry, AV_DICT_IGNORE_SUFFIX)) != nullptr) tags.emplace(entry->key, entry->value);
}

std::vector<uint8_t> frame_to_rgb(const AVFrame* frame, const std::string& path) {
  const auto format = static_cast<AVPixelFormat>(frame->format);
  SwsContextPtr sws(sws_getContext(frame->width, frame->height, format, frame->width, frame->height, AV_PIX_FMT_RGB24,
                                   SWS_BICUBIC | SWS_ACCURATE_RND | SWS_FULL_CHR_H_INT, nullptr, nullptr, nullptr));
  AD_CHECK(sws != nullptr, "video '{}': sws_getContext ({} -> rgb24) failed", path, av_get_pix_fmt_name(format));
  const AVPixFmtDescriptor* desc = av_pix_fmt_desc_get(format);
  if (desc && !(desc->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_PAL)) && desc->nb_components >= 3) {
    // YUV: convert with the matrix and range the stream is tagged with.
    const int* table = sws_getCoefficients(frame->colorspace == AVCOL_SPC_BT709 ? SWS_CS_ITU709 : SWS_CS_DEFAULT);
    sws_setColorspaceDetails(sws.get(), table, frame->color_range == AVCOL_RANGE_JPEG ? 1 : 0, table, 1, 0, 1 << 16,
                             1 << 16);
  }
  std::vector<uint8_t> rgb(static_cast<size_t>(frame->width) * frame->height * 3);
  uint8_t* dest[1] = {rgb.data()};
  const int dest_stride[1] = {frame->width * 3};
  sws_scale(sws.get(), frame->data, frame->linesize, 0, frame->height, dest, dest_stride);
  return rgb;
}

VideoInfo probe_webp(const std::string& path) {
  const WebpFileInfo webp = read_webp_file(path);
  VideoInfo info;
  info.frames = webp.frames;
  info.width = webp.width;
  info.height = webp.height;
  info.fps = webp.duration_ms > 0 ? static_cast<double>(webp.frames) * 1000.0 / static_cast<double>(webp.duration_ms) : 0.0;
  info.tags = webp.tags;
  info.codec = "webp";
  info.loop_count = webp.loop_count;
  return info;
}

// Our GIF metadata: one JSON object in a comment extension; any other comment as "comment".
void add_gif_blocks(const std::string& path, VideoInfo& info) {
  const GifFileInfo gif = read_gif_file(path);
  info.loop_count = gif.loop_count;
  for (const std::string& comment : gif.comments) {
    const nlohmann::json json = nlohmann::json::parse(comment, nullptr, false);
    if (!json.is_object()) {
      info.tags.emplace("comment", comment);
      continue;
    }
    for (const auto& [key, value] : json.items()) info.tags[key] = value.is_string() ? value.get<std::string>() : value.dump();
  }
}

}  // namespace

VideoInfo probe_video(const std::string& path) {
  std::string extension = std::filesystem::path(path).extension().string();
  std::transform(extension.begin(), extension.end(), extension.begin(), [](unsigned char c) { return std::tolower(c); });
  if (extension == ".webp") return probe_webp(path);

  install_av_log_hook();
  AVFormatContext* raw_input = nullptr;
  av_check(avformat_open_input(&raw_input, ("file:" + path).c_str(), nullptr, nullptr), "avformat_open_input", path);
  AvInputContextPtr input(raw_input);
  av_check(avformat_find_stream_info(input.get(), nullptr), "avformat_find_stream_info", path);
  const AVCodec* decoder = nullptr;
  const int stream_index =
      av_check(av_find_best_stream(input.get(), AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0), "av_find_best_stream", path);
  AVStream* stream = input->streams[stream_index];

  VideoInfo info;
  info.codec = decoder->name;
  info.width = stream->codecpar->width;
  info.height = stream->codecpar->height;
  add_tags(input->metadata, info.tags);
  add_tags(stream->metadata, info.tags);

  AvCodecContextPtr codec(avcodec_alloc_context3(decoder));
  AD_CHECK(codec != nullptr, "video '{}': avcodec_alloc_context3: out of memory", path);
  av_check(avcodec_parameters_to_context(codec.get(), stream->codecpar), "avcodec_parameters_to_context", path);
  av_check(avcodec_open2(codec.get(), decoder, nullptr), "avcodec_open2 (decoder)", path);

  AvPacketPtr packet = make_packet();
  AvFramePtr frame = make_frame();
  AvFramePtr last_frame = make_frame();
  int64_t first_pts = AV_NOPTS_VALUE, last_pts = AV_NOPTS_VALUE;
  // Takes every frame the decoder has ready.
  auto receive = [&] {
    while (true) {
      const int ret = avcodec_receive_frame(codec.get(), frame.get());
      if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return;
      av_check(ret, "avcodec_receive_frame", path);
      const int64_t pts = frame->best_effort_timestamp;
      if (info.frames == 0) {
        first_pts = pts;
        add_tags(frame->metadata, info.tags);  // PNG tEXt / iTXt
        info.first_frame_rgb = frame_to_rgb(frame.get(), path);
      }
      last_pts = pts;
      ++info.frames;
      av_frame_unref(last_frame.get());
      av_frame_move_ref(last_frame.get(), frame.get());
    }
  };
  while (true) {
    const int ret = av_read_frame(input.get(), packet.get());
    if (ret == AVERROR_EOF) break;
    av_check(ret, "av_read_frame", path);
    if (packet->stream_index == stream_index) {
      const int sent = avcodec_send_packet(codec.get(), packet.get());
      av_packet_unref(packet.get());
      av_check(sent, "avcodec_send_packet", path);
      receive();
    } else {
      av_packet_unref(packet.get());
    }
  }
  av_check(avcodec_send_packet(codec.get(), nullptr), "avcodec_send_packet (drain)", path);
  receive();
  if (info.frames > 0) info.last_frame_rgb = frame_to_rgb(last_frame.get(), path);

  const double time_base = av_q2d(stream->time_base);
  if (info.frames >= 2 && first_pts != AV_NOPTS_VALUE && last_pts > first_pts) {
    info.fps = static_cast<double>(info.frames - 1) / (static_cast<double>(last_pts - first_pts) * time_base);
  } else if (stream->avg_frame_rate.num > 0) {
    info.fps = av_q2d(stream->avg_frame_rate);
  }
  if (extension == ".gif") add_gif_blocks(path, info);
  if (extension == ".png") {
    for (const auto& [key, value] : read_png_text(path)) info.tags[key] = value;
  }
  if (std::string(input->iformat->name).find("matroska") != std::string::npos) {
    // FFmpeg's Matroska muxer stores tag names in upper case: give them back in lower case.
    std::map<std::string, std::string> lowered;
    for (const auto& [key, value] : info.tags) {
      std::string lower_key = key;
      std::transform(lower_key.begin(), lower_key.end(), lower_key.begin(), [](unsigned char c) { return std::tolower(c); });
      lowered.emplace(lower_key, value);
    }
    info.tags = std::move(lowered);
  }
  return info;
}

}  // namespace ad::video

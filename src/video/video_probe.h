// Reads back what the video writers produce (tests, `inspect`-style reports).
//
//   VideoInfo info = probe_video("out.mp4");   // frames, size, fps, tags, codec, first frame
//
// mp4, webm, gif and single PNG files go through libavformat/libavcodec: every frame is decoded
// (frames = decoded frames), fps = (frames - 1) / (last pts - first pts), tags = container tags
// plus the first frame's tags (PNG tEXt/iTXt), plus the keys of our JSON comment for GIF;
// the first and last frames come back as RGB (through the stream's tagged YUV matrix and range).
// Animated WebP (which FFmpeg 5.1 cannot decode) is parsed here: VP8X canvas size, ANMF frames
// and durations, ANIM loop count, our XMP attributes; first_frame_rgb stays empty.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ad::video {

struct VideoInfo {
  int64_t frames = 0;
  int width = 0;
  int height = 0;
  double fps = 0.0;
  std::map<std::string, std::string> tags;
  std::string codec;                     // FFmpeg's decoder name: "h264", "vp9", "gif", "png", "webp"
  int loop_count = -1;                   // gif / webp: 0 = forever; -1 when the format has none
  std::vector<uint8_t> first_frame_rgb;  // [H, W, 3], when decoded (not for WebP)
  std::vector<uint8_t> last_frame_rgb;   // [H, W, 3], when decoded (not for WebP)
};

VideoInfo probe_video(const std::string& path);

}  // namespace ad::video

// GIF colour reduction: one palette for the whole clip by median cut over a histogram of every
// frame's pixels, and RGB -> palette index mapping with ordered (Bayer 8x8) dithering.
//
// Histogram: 32,768 bins (5 bits per channel), each keeping the count and the exact sums of its
// pixels, so a palette colour is the true mean of the pixels it stands for. Median cut: the box
// with the largest squared error is split on its widest axis (largest variance) at the weighted
// median, until `max_colors` boxes. Ordered dithering (FFmpeg paletteuse's bayer, bayer_scale 2:
// offsets -8..7) is stable from frame to frame: no crawling noise, and the GIF encoder's
// "unchanged since the last frame" transparency keeps working on static areas.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

namespace ad::video {

using Rgb = std::array<uint8_t, 3>;

class ColorHistogram {
 public:
  ColorHistogram();
  void add(std::span<const uint8_t> rgb);  // pixels, 3 bytes each
  std::vector<Rgb> median_cut(int max_colors) const;

 private:
  struct Bin {
    uint64_t count = 0;
    uint64_t sum[3] = {0, 0, 0};
  };
  std::vector<Bin> bins_;
};

class PaletteMapper {
 public:
  explicit PaletteMapper(std::vector<Rgb> palette);
  // One frame [height, width, 3] -> indices into the palette, rows `stride` bytes apart.
  void map(std::span<const uint8_t> rgb, int width, int height, uint8_t* indices, int stride);

 private:
  uint8_t nearest(int r, int g, int b);

  std::vector<Rgb> palette_;
  std::vector<int16_t> cache_;  // 6 bits per channel -> nearest index, -1 until computed
};

}  // namespace ad::video

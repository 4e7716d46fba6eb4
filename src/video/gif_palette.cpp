#include "video/gif_palette.h"

#include <algorithm>
#include <cmath>

namespace ad::video {
namespace {

struct Entry {
  double color[3];  // mean colour of a histogram bin
  double weight;    // its pixel count
};

// A box of entries [begin, end) with the sums needed for its squared error.
struct Box {
  size_t begin = 0, end = 0;
  double weight = 0;
  double sum[3] = {0, 0, 0};
  double sum_squares[3] = {0, 0, 0};

  double axis_error(int axis) const { return sum_squares[axis] - sum[axis] * sum[axis] / weight; }
  double error() const { return axis_error(0) + axis_error(1) + axis_error(2); }
};

Box make_box(const std::vector<Entry>& entries, size_t begin, size_t end) {
  Box box;
  box.begin = begin;
  box.end = end;
  for (size_t i = begin; i < end; ++i) {
    const Entry& e = entries[i];
    box.weight += e.weight;
    for (int a = 0; a < 3; ++a) {
      box.sum[a] += e.weight * e.color[a];
      box.sum_squares[a] += e.weight * e.color[a] * e.color[a];
    }
  }
  return box;
}

// Bayer 8x8 thresholds 0..63.
constexpr uint8_t kBayer8[64] = {0,  32, 8,  40, 2,  34, 10, 42, 48, 16, 56, 24, 50, 18, 58, 26,
                                 12, 44, 4,  36, 14, 46, 6,  38, 60, 28, 52, 20, 62, 30, 54, 22,
                                 3,  35, 11, 43, 1,  33, 9,  41, 51, 19, 59, 27, 49, 17, 57, 25,
                                 15, 47, 7,  39, 13, 45, 5,  37, 63, 31, 55, 23, 61, 29, 53, 21};

}  // namespace

ColorHistogram::ColorHistogram() : bins_(1 << 15) {}

void ColorHistogram::add(std::span<const uint8_t> rgb) {
  for (size_t i = 0; i + 2 < rgb.size(); i += 3) {
    const uint8_t r = rgb[i], g = rgb[i + 1], b = rgb[i + 2];
    Bin& bin = bins_[(r >> 3) << 10 | (g >> 3) << 5 | (b >> 3)];
    ++bin.count;
    bin.sum[0] += r;
    bin.sum[1] += g;
    bin.sum[2] += b;
  }
}

std::vector<Rgb> ColorHistogram::median_cut(int max_colors) const {
  std::vector<Entry> entries;
  for (const Bin& bin : bins_) {
    if (bin.count == 0) continue;
    const double n = static_cast<double>(bin.count);
    entries.push_back({{bin.sum[0] / n, bin.sum[1] / n, bin.sum[2] / n}, n});
  }
  std::vector<Box> boxes;
  if (!entries.empty()) boxes.push_back(make_box(entries, 0, entries.size()));
  while (static_cast<int>(boxes.size()) < max_colors) {
    // The splittable box with the largest squared error.
    int best = -1;
    for (size_t i = 0; i < boxes.size(); ++i) {
      if (boxes[i].end - boxes[i].begin < 2 || boxes[i].error() <= 1e-9) continue;
      if (best < 0 || boxes[i].error() > boxes[static_cast<size_t>(best)].error()) best = static_cast<int>(i);
    }
    if (best < 0) break;
    const Box box = boxes[static_cast<size_t>(best)];
    int axis = 0;
    for (int a = 1; a < 3; ++a) {
      if (box.axis_error(a) > box.axis_error(axis)) axis = a;
    }
    const auto first = entries.begin() + static_cast<std::ptrdiff_t>(box.begin);
    const auto last = entries.begin() + static_cast<std::ptrdiff_t>(box.end);
    std::sort(first, last, [axis](const Entry& x, const Entry& y) { return x.color[axis] < y.color[axis]; });
    // Weighted median, leaving at least one entry on each side.
    double below = 0;
    size_t split = box.begin + 1;
    for (size_t i = box.begin; i + 1 < box.end; ++i) {
      below += entries[i].weight;
      split = i + 1;
      if (below >= box.weight / 2) break;
    }
    boxes[static_cast<size_t>(best)] = make_box(entries, box.begin, split);
    boxes.push_back(make_box(entries, split, box.end));
  }
  std::vector<Rgb> palette;
  for (const Box& box : boxes) {
    Rgb color;
    for (int a = 0; a < 3; ++a) color[a] = static_cast<uint8_t>(std::clamp(std::lround(box.sum[a] / box.weight), 0L, 255L));
    palette.push_back(color);
  }
  if (palette.empty()) palette.push_back({0, 0, 0});
  return palette;
}

PaletteMapper::PaletteMapper(std::vector<Rgb> palette) : palette_(std::move(palette)), cache_(1 << 18, -1) {}

uint8_t PaletteMapper::nearest(int r, int g, int b) {
  int16_t& cached = cache_[(r >> 2) << 12 | (g >> 2) << 6 | (b >> 2)];
  if (cached >= 0) return static_cast<uint8_t>(cached);
  const int cr = (r & ~3) + 2, cg = (g & ~3) + 2, cb = (b & ~3) + 2;  // the cell's centre
  int best = 0, best_distance = 1 << 30;
  for (size_t i = 0; i < palette_.size(); ++i) {
    const int dr = cr - palette_[i][0], dg = cg - palette_[i][1], db = cb - palette_[i][2];
    const int distance = dr * dr + dg * dg + db * db;
    if (distance < best_distance) {
      best_distance = distance;
      best = static_cast<int>(i);
    }
  }
  cached = static_cast<int16_t>(best);
  return static_cast<uint8_t>(best);
}

void PaletteMapper::map(std::span<const uint8_t> rgb, int width, int height, uint8_t* indices, int stride) {
  for (int y = 0; y < height; ++y) {
    const uint8_t* source = rgb.data() + static_cast<size_t>(y) * width * 3;
    uint8_t* row = indices + static_cast<std::ptrdiff_t>(y) * stride;
    for (int x = 0; x < width; ++x) {
      const int offset = (kBayer8[(y & 7) << 3 | (x & 7)] >> 2) - 8;  // -8..7
      const int r = std::clamp(source[3 * x] + offset, 0, 255);
      const int g = std::clamp(source[3 * x + 1] + offset, 0, 255);
      const int b = std::clamp(source[3 * x + 2] + offset, 0, 255);
      row[x] = nearest(r, g, b);
    }
  }
}

}  // namespace ad::video

// FreeNoise context windows (diffusers AnimateDiffFreeNoiseMixin): clips longer than the motion
// modules' positional table run their temporal attention over overlapping windows of frames,
// blended with per-position weights; everything else runs on all frames at once.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace ad::sampling {

enum class WindowWeighting { Pyramid, Flat };
WindowWeighting parse_window_weighting(const std::string& name);

struct ContextWindows {
  int length = 0;  // 0: no windows (all frames in one attention)
  int stride = 4;
  WindowWeighting weighting = WindowWeighting::Pyramid;

  bool enabled_for(int frames) const { return length > 0 && frames > length; }
  // [start, end) ranges: starts 0, stride, ... while start + length <= frames; a last window
  // (frames - length, frames) is added when they do not reach the end.
  std::vector<std::pair<int, int>> windows(int frames) const;
  // Weight of each position inside a window: pyramid 1..L/2, L/2..1 (odd L: 1..(L+1)/2..1); flat 1.
  std::vector<float> weights(int window_length) const;
};

}  // namespace ad::sampling

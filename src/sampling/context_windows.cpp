#include "sampling/context_windows.h"

#include "core/error.h"

namespace ad::sampling {

WindowWeighting parse_window_weighting(const std::string& name) {
  if (name == "pyramid") return WindowWeighting::Pyramid;
  if (name == "flat") return WindowWeighting::Flat;
  fail("unknown context window weighting '{}' (pyramid or flat)", name);
}

std::vector<std::pair<int, int>> ContextWindows::windows(int frames) const {
  AD_CHECK(length > 0 && stride > 0, "context windows: length {} and stride {} must be positive", length, stride);
  std::vector<std::pair<int, int>> out;
  if (frames <= length) return {{0, frames}};
  for (int start = 0; start + length <= frames; start += stride) out.emplace_back(start, start + length);
  if (out.back().second != frames) out.emplace_back(frames - length, frames);
  return out;
}

std::vector<float> ContextWindows::weights(int n) const {
  std::vector<float> w(static_cast<size_t>(n), 1.0f);
  if (weighting == WindowWeighting::Flat) return w;
  for (int i = 0; i < n; ++i) w[static_cast<size_t>(i)] = static_cast<float>(std::min(i + 1, n - i));
  return w;
}

}  // namespace ad::sampling

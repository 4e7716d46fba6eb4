// Progress and timing of the engine's generation pipelines (video.h, image.h): the phases a run
// goes through, the events a caller's callback receives, and the per-phase timings of a report.
#pragma once

#include <functional>
#include <string>

namespace ad {

enum class Phase { Load, EncodeText, Denoise, Decode, Write };
const char* phase_name(Phase phase);

struct ProgressEvent {
  Phase phase = Phase::Load;
  int step = 0;       // completed units of the phase (denoising steps, decoded frames, text encoders)
  int total = 0;      // 0 when the phase has no steps
  double elapsed = 0; // seconds in this phase so far
  double eta = 0;     // estimated seconds left in this phase (0 when unknown)
};
using ProgressFn = std::function<void(const ProgressEvent&)>;

struct PhaseTime {
  std::string name;
  double seconds = 0;
};

}  // namespace ad

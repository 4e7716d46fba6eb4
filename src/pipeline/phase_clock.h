// Timing shared by the generation pipelines: a phase's progress events and duration, the
// process's peak resident memory.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "animatediff/progress.h"

namespace ad::pipeline {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Peak resident set size of this process so far (getrusage), in bytes.
int64_t peak_rss_bytes();
// Peak memory mapped by the engine's arena (activations, scratch), in bytes.
int64_t peak_working_bytes();

// The denoisers' GEMMs have hundreds of rows or more (tokens x frames x guidance rows), so the CPU
// backend prepares (widens, reorders) each weight per call for a few percent of the time instead
// of keeping prepared copies, which would double the weights in memory (measured in
// docs/performance.md). AD_WEIGHT_CACHE_MB, when set, still decides.
void use_weights_in_place();

// Reports a phase's progress (an event at start, then emit()) and appends its duration to
// `phases` on finish(), under `name` (default: phase_name(phase)).
class PhaseClock {
 public:
  PhaseClock(Phase phase, const ProgressFn& progress, std::vector<PhaseTime>& phases, std::string name = {});
  void emit(int step, int total) const;
  void finish();

 private:
  Phase phase_;
  const ProgressFn& progress_;
  std::vector<PhaseTime>& phases_;
  std::string name_;
  Clock::time_point start_;
};

}  // namespace ad::pipeline

#include "pipeline/phase_clock.h"

#include <sys/resource.h>

#include <cstdlib>

#include "backend/cpu/weight_cache.h"
#include "core/arena.h"

namespace ad {

const char* phase_name(Phase phase) {
  switch (phase) {
    case Phase::Load: return "load";
    case Phase::EncodeText: return "encode_text";
    case Phase::Denoise: return "denoise";
    case Phase::Decode: return "decode";
    case Phase::Write: return "write";
  }
  return "?";
}

namespace pipeline {

int64_t peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;
}

PhaseClock::PhaseClock(Phase phase, const ProgressFn& progress, std::vector<PhaseTime>& phases, std::string name)
    : phase_(phase),
      progress_(progress),
      phases_(phases),
      name_(name.empty() ? phase_name(phase) : std::move(name)),
      start_(Clock::now()) {
  emit(0, 0);
}

void PhaseClock::emit(int step, int total) const {
  if (!progress_) return;
  ProgressEvent e;
  e.phase = phase_;
  e.step = step;
  e.total = total;
  e.elapsed = seconds_since(start_);
  e.eta = step > 0 && total > step ? e.elapsed / step * (total - step) : 0.0;
  progress_(e);
}

void PhaseClock::finish() { phases_.push_back({name_, seconds_since(start_)}); }

int64_t peak_working_bytes() { return static_cast<int64_t>(Arena::current().stats().peak_bytes_reserved); }

void use_weights_in_place() {
  if (std::getenv("AD_WEIGHT_CACHE_MB") == nullptr) cpu::WeightCache::instance().set_budget(0);
}

}  // namespace pipeline
}  // namespace ad

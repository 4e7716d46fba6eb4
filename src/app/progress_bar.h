// Progress display of the CLI: a bar with ETA redrawn in place on a terminal, plain lines
// otherwise (logs, CI).
#pragma once

#include <cstdio>
#include <cstdint>
#include <string>
#include <vector>

#include "animatediff/progress.h"

namespace ad::app {

class ProgressBar {
 public:
  explicit ProgressBar(std::FILE* out);
  void operator()(const ProgressEvent& event);
  // Ends the current line on a terminal.
  void finish();

 private:
  std::FILE* out_;
  bool terminal_;
  Phase phase_ = Phase::Load;
  bool started_ = false;
  int last_line_step_ = -1;
};

// "1m05s", "12.3s"
std::string format_duration(double seconds);

// The closing line of a generation: "load 0.2s ... write 0.1s; 41.90 s/step; peak memory 3.13 GiB
// (working memory 0.61 GiB)".
std::string format_run_summary(const std::vector<PhaseTime>& phases, const std::vector<double>& step_seconds,
                               int64_t peak_rss_bytes, int64_t peak_working_bytes);

}  // namespace ad::app

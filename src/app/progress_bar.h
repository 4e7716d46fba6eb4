// Progress display of the CLI: a bar with ETA redrawn in place on a terminal, plain lines
// otherwise (logs, CI).
#pragma once

#include <cstdio>
#include <string>

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

}  // namespace ad::app

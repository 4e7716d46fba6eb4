#include "app/progress_bar.h"

#include <unistd.h>

#include <fmt/format.h>

namespace ad::app {

std::string format_duration(double seconds) {
  if (seconds < 60) return fmt::format("{:.1f}s", seconds);
  const int total = static_cast<int>(seconds + 0.5);
  if (total < 3600) return fmt::format("{}m{:02d}s", total / 60, total % 60);
  return fmt::format("{}h{:02d}m", total / 3600, (total / 60) % 60);
}

ProgressBar::ProgressBar(std::FILE* out) : out_(out), terminal_(isatty(fileno(out)) != 0) {}

void ProgressBar::operator()(const ProgressEvent& e) {
  if (started_ && e.phase != phase_) finish();
  if (!started_ || e.phase != phase_) last_line_step_ = -1;
  phase_ = e.phase;
  started_ = true;
  const std::string name = phase_name(e.phase);
  if (!terminal_) {
    // One line per step (or per phase start), never redrawn.
    if (e.step == last_line_step_) return;
    last_line_step_ = e.step;
    if (e.total > 0 && e.step > 0)
      fmt::print(out_, "{} {}/{} elapsed {} eta {}\n", name, e.step, e.total, format_duration(e.elapsed),
                 format_duration(e.eta));
    else if (e.step == 0)
      fmt::print(out_, "{}...\n", name);
    std::fflush(out_);
    return;
  }
  std::string line;
  if (e.total > 0) {
    constexpr int kWidth = 30;
    const int filled = e.step * kWidth / e.total;
    std::string bar;
    for (int i = 0; i < kWidth; ++i) bar += i < filled ? "█" : "░";
    line = fmt::format("{:<12} {} {}/{}  {}  ETA {}", name, bar, e.step, e.total, format_duration(e.elapsed),
                       e.step > 0 ? format_duration(e.eta) : std::string("--"));
  } else {
    line = fmt::format("{:<12} {}", name, format_duration(e.elapsed));
  }
  fmt::print(out_, "\r\033[K{}", line);
  std::fflush(out_);
}

void ProgressBar::finish() {
  if (terminal_ && started_) fmt::print(out_, "\n");
  std::fflush(out_);
  started_ = false;
}

std::string format_run_summary(const std::vector<PhaseTime>& phases, const std::vector<double>& step_seconds,
                               int64_t peak_rss_bytes, int64_t peak_working_bytes) {
  std::string out;
  for (const auto& phase : phases) out += fmt::format("{}{} {}", out.empty() ? "" : " ", phase.name, format_duration(phase.seconds));
  double total = 0;
  for (double s : step_seconds) total += s;
  const double per_step = step_seconds.empty() ? 0.0 : total / static_cast<double>(step_seconds.size());
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  return out + fmt::format("; {:.2f} s/step; peak memory {:.2f} GiB (working memory {:.2f} GiB)", per_step,
                           static_cast<double>(peak_rss_bytes) / kGiB, static_cast<double>(peak_working_bytes) / kGiB);
}

}  // namespace ad::app

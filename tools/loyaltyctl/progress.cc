#include "progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <string>

#include "absl/strings/str_cat.h"

namespace loyaltyctl {
namespace {

// "1:05:09" or "4:07" from seconds.
std::string FormatDuration(double seconds) {
  const int64_t total = std::llround(std::max(seconds, 0.0));
  const int64_t hours = total / 3600;
  const int64_t minutes = total / 60 % 60;
  const int64_t rest = total % 60;
  const std::string two_digit_seconds =
      absl::StrCat(rest < 10 ? "0" : "", rest);
  if (hours == 0) return absl::StrCat(minutes, ":", two_digit_seconds);
  return absl::StrCat(hours, ":", minutes < 10 ? "0" : "", minutes, ":",
                      two_digit_seconds);
}

}  // namespace

ExportProgress::ExportProgress()
    : enabled_(isatty(STDERR_FILENO) == 1),
      start_(Clock::now()),
      last_draw_(start_) {}

double ExportProgress::ElapsedSeconds() const {
  return std::chrono::duration<double>(Clock::now() - start_).count();
}

void ExportProgress::Update(int64_t entries_written, int64_t last_sequence,
                            int64_t snapshot_sequence) {
  if (first_sequence_ == 0) first_sequence_ = last_sequence;
  const Clock::time_point now = Clock::now();
  if (!enabled_ || now - last_draw_ < kRedrawInterval) return;
  last_draw_ = now;
  const double elapsed_seconds = ElapsedSeconds();
  std::string line = absl::StrCat(
      "exported ", entries_written, " entries  ",
      std::llround(entries_written / elapsed_seconds), " entries/s");
  if (snapshot_sequence > 0 && last_sequence > 0) {
    const int64_t percent =
        std::min<int64_t>(100, last_sequence * 100 / snapshot_sequence);
    // Sequences read per second since the first page.
    const double sequence_rate =
        (last_sequence - first_sequence_ + 1) / elapsed_seconds;
    const double left_seconds =
        (snapshot_sequence - last_sequence) / sequence_rate;
    absl::StrAppend(&line, "  ", percent, "%  ETA ",
                    FormatDuration(left_seconds));
  }
  // \r back to the start of the line, ESC[K erases what a longer line left.
  std::cerr << "\r" << line << "\033[K" << std::flush;
  drawn_ = true;
}

void ExportProgress::Finish() {
  if (drawn_) std::cerr << "\r\033[K" << std::flush;
  drawn_ = false;
}

}  // namespace loyaltyctl

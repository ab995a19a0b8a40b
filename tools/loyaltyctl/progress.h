// The progress line of a long export: entries written, rate, percent done
// and time left, redrawn in place on stderr at most four times a second,
// and only when stderr is a terminal (a log file gets no \r noise).
#ifndef LOYALTY_TOOLS_LOYALTYCTL_PROGRESS_H_
#define LOYALTY_TOOLS_LOYALTYCTL_PROGRESS_H_

#include <chrono>
#include <cstdint>

namespace loyaltyctl {

class ExportProgress {
 public:
  // Starts the clock; draws nothing unless stderr is a terminal.
  ExportProgress();
  ExportProgress(const ExportProgress&) = delete;
  ExportProgress& operator=(const ExportProgress&) = delete;

  // After each page: entries written so far, the sequence of the last entry
  // read, and the newest sequence of the snapshot being exported. Percent
  // and time left come from how far the sequence has gone, because a
  // filtered export writes fewer entries than it reads.
  void Update(int64_t entries_written, int64_t last_sequence,
              int64_t snapshot_sequence);
  // Erases the progress line, if one was drawn.
  void Finish();
  double ElapsedSeconds() const;

 private:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds kRedrawInterval{250};

  const bool enabled_;
  const Clock::time_point start_;
  Clock::time_point last_draw_;
  int64_t first_sequence_ = 0;  // of the first page; 0 before it
  bool drawn_ = false;
};

}  // namespace loyaltyctl

#endif  // LOYALTY_TOOLS_LOYALTYCTL_PROGRESS_H_

// The checkpoint file of `events forward`: where the forwarder is in the
// event stream, rewritten (PATH.tmp, fsync, rename) after every event
// delivered, so that a forwarder stopped at any moment resumes exactly after
// the last event the webhook acknowledged (one event may be posted again
// when the stop falls between the answer and the rewrite: receivers
// deduplicate by X-Loyalty-Event-Id).
//
// The file holds one line: "SEQUENCE INDEX", the last event delivered, or
// "SEQUENCE" alone once every event of the entries up to SEQUENCE is
// handled (a page of the stream was done).
#ifndef LOYALTY_TOOLS_LOYALTYCTL_CHECKPOINT_H_
#define LOYALTY_TOOLS_LOYALTYCTL_CHECKPOINT_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace loyaltyctl {

struct Checkpoint {
  int64_t sequence = 0;
  // The index of the last event delivered in entry `sequence`; unset: the
  // whole entry is handled.
  std::optional<int> index;

  // The after_sequence to ask the stream for, and whether an event of it is
  // already handled.
  int64_t after_sequence() const { return index ? sequence - 1 : sequence; }
  bool Handled(int64_t event_sequence, int event_index) const {
    if (event_sequence != sequence) return event_sequence < sequence;
    return !index || event_index <= *index;
  }
};

// The checkpoint in `path`; nullopt when there is no such file. A file that
// does not read as a checkpoint is INVALID_ARGUMENT (never guessed at).
absl::StatusOr<std::optional<Checkpoint>> ReadCheckpoint(
    const std::string& path);
absl::Status WriteCheckpoint(const std::string& path,
                             const Checkpoint& checkpoint);

}  // namespace loyaltyctl

#endif  // LOYALTY_TOOLS_LOYALTYCTL_CHECKPOINT_H_

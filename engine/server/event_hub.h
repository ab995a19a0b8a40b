// Where event streams (Events.WatchEvents) learn that the journal grew: the
// ledger announces each durable head (LedgerOptions::on_durable), and the
// hub wakes the streams that have sent everything up to it. It holds no
// entry and no event: a woken stream reads its next page from the journal
// itself (events_service.cc). So a slow consumer, which is not waiting, costs
// the ledger nothing, and the server never buffers entries for anyone.
//
// Bounds: at most kMaxEventStreams streams at once (Join); each waits at most
// once at a time. Published() runs on a ledger worker: it takes the
// waiting streams under a short lock and calls their wakers outside it.
// Thread-safe.
#ifndef LOYALTY_ENGINE_SERVER_EVENT_HUB_H_
#define LOYALTY_ENGINE_SERVER_EVENT_HUB_H_

#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace loyalty::server {

// Event streams open at once; each holds a reader slot too (reader_pool.h).
inline constexpr int kMaxEventStreams = 16;

class EventHub {
 public:
  using Waker = std::function<void()>;

  EventHub() = default;
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  // The ledger's announcement: every entry up to `sequence` is durable.
  // Wakes the streams waiting for a sequence below it.
  void Published(int64_t sequence) ABSL_LOCKS_EXCLUDED(mu_);
  int64_t durable() const ABSL_LOCKS_EXCLUDED(mu_);

  // For a stop of the server: wakes every waiting stream, and no stream
  // waits after it (Wait returns 0); the streams end with SERVER_STOPPING.
  void Stop() ABSL_LOCKS_EXCLUDED(mu_);
  bool stopping() const ABSL_LOCKS_EXCLUDED(mu_);

  // A stream's place: false when kMaxEventStreams are open. Leave() once
  // for every successful Join().
  bool Join() ABSL_LOCKS_EXCLUDED(mu_);
  void Leave() ABSL_LOCKS_EXCLUDED(mu_);
  int streams() const ABSL_LOCKS_EXCLUDED(mu_);

  // The bytes of pages the streams hold (read, not yet written out): a
  // stream holds one page at most, so this stays below kMaxEventStreams
  // pages however far behind its consumers are. max_held_bytes() is the
  // most it has been since the start (for tests and /metrics).
  void Hold(int64_t bytes) ABSL_LOCKS_EXCLUDED(mu_);
  void Release(int64_t bytes) ABSL_LOCKS_EXCLUDED(mu_);
  int64_t held_bytes() const ABSL_LOCKS_EXCLUDED(mu_);
  int64_t max_held_bytes() const ABSL_LOCKS_EXCLUDED(mu_);

  // Calls `wake` once, from Published or Stop, when an entry after
  // `after_sequence` is durable; returns its ticket (> 0). Returns 0 without
  // keeping `wake` when one already is, or the hub is stopping: read now.
  uint64_t Wait(int64_t after_sequence, Waker wake) ABSL_LOCKS_EXCLUDED(mu_);
  // Takes back a wait: true when `wake` will not be called (it had not been
  // taken yet), false when it is being or has been called.
  bool Cancel(uint64_t ticket) ABSL_LOCKS_EXCLUDED(mu_);

 private:
  struct Waiting {
    uint64_t ticket;
    Waker wake;
  };

  mutable absl::Mutex mu_;
  int64_t durable_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  int streams_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t held_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t max_held_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_ticket_ ABSL_GUARDED_BY(mu_) = 1;
  // At most one per open stream: bounded by kMaxEventStreams.
  std::vector<Waiting> waiting_ ABSL_GUARDED_BY(mu_);
};

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_EVENT_HUB_H_

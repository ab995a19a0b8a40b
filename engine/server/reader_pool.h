// A few named threads for the reads that may take long or wait on the disk
// (history pages, export pages, program metrics), so that they never hold
// one of gRPC's callback threads and a slow export cannot stall checkout.
// Point reads that the cache answers (a balance, a member, a quote) stay on
// the calling thread.
//
// The queue is bounded by slots: every read call holds one slot from the
// moment it is taken until it is over (a unary read until it is answered,
// an export until its stream ends), and only a slot's holder may post work,
// at most one task at a time. With every slot taken, a new read is refused
// with UNAVAILABLE (reason READERS_BUSY): retry the call.
//
// Thread-safe. The destructor runs the tasks still queued, then joins.
#ifndef LOYALTY_ENGINE_SERVER_READER_POOL_H_
#define LOYALTY_ENGINE_SERVER_READER_POOL_H_

#include <deque>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/program/operations.h"

namespace loyalty::server {

struct ReaderPoolOptions {
  int threads = 4;  // 1..64
  int slots = 64;   // read calls at once, queued or running; 1..4096
};

class ReaderPool {
 public:
  // One read call's right to post work; returned to the pool when destroyed.
  class Slot {
   public:
    Slot(Slot&& other) noexcept : pool_(std::exchange(other.pool_, nullptr)) {}
    Slot& operator=(Slot&&) = delete;
    Slot(const Slot&) = delete;
    ~Slot();

   private:
    friend class ReaderPool;
    explicit Slot(ReaderPool* pool) : pool_(pool) {}
    ReaderPool* pool_;
  };

  explicit ReaderPool(ReaderPoolOptions options);
  ReaderPool(const ReaderPool&) = delete;
  ReaderPool& operator=(const ReaderPool&) = delete;
  ~ReaderPool();

  // A slot, or UNAVAILABLE (READERS_BUSY) when all are taken.
  absl::StatusOr<Slot> Take();
  // Runs `task` on a reader thread; the caller holds `slot` until the task
  // has run.
  void Post(const Slot& slot, absl::AnyInvocable<void()> task);

  // A unary read: `read` on a reader thread, its result to `reply` (the
  // slot already returned, so a caller that sends its next read as soon as
  // it has the answer is not refused); READERS_BUSY at once when full.
  template <typename Response>
  void Read(program::Reply<Response> reply,
            absl::AnyInvocable<absl::StatusOr<Response>()> read) {
    absl::StatusOr<Slot> slot = Take();
    if (!slot.ok()) {
      reply(slot.status());
      return;
    }
    auto held = std::make_unique<Slot>(*std::move(slot));
    const Slot& proof = *held;
    Post(proof, [held = std::move(held), reply = std::move(reply),
                 read = std::move(read)]() mutable {
      absl::StatusOr<Response> result = read();
      held.reset();
      reply(std::move(result));
    });
  }

 private:
  void Work();
  void Return();
  bool HasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return stopping_ || !queue_.empty();
  }

  absl::Mutex mu_;
  int free_slots_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // At most one task per slot taken: bounded by options.slots.
  std::deque<absl::AnyInvocable<void()>> queue_ ABSL_GUARDED_BY(mu_);
  std::vector<std::thread> threads_;
};

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_READER_POOL_H_

#include "engine/server/reader_pool.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/base/error.h"
#include "engine/base/thread_name.h"

namespace loyalty::server {

ReaderPool::Slot::~Slot() {
  if (pool_ != nullptr) pool_->Return();
}

ReaderPool::ReaderPool(ReaderPoolOptions options)
    : free_slots_(std::clamp(options.slots, 1, 4096)) {
  const int threads = std::clamp(options.threads, 1, 64);
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { Work(); });
    NameThread(threads_.back(), absl::StrCat("reader-", i));
  }
}

ReaderPool::~ReaderPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& thread : threads_) thread.join();
}

absl::StatusOr<ReaderPool::Slot> ReaderPool::Take() {
  absl::MutexLock lock(&mu_);
  if (free_slots_ == 0) {
    return MakeError(
        absl::StatusCode::kUnavailable, "READERS_BUSY", "",
        "every reader is busy with long reads (exports, histories, "
        "metrics); retry the call");
  }
  --free_slots_;
  return Slot(this);
}

void ReaderPool::Return() {
  absl::MutexLock lock(&mu_);
  ++free_slots_;
}

void ReaderPool::Post(const Slot&, absl::AnyInvocable<void()> task) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(task));
}

void ReaderPool::Work() {
  while (true) {
    absl::AnyInvocable<void()> task;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &ReaderPool::HasWork));
      if (queue_.empty()) return;  // stopping, and nothing left to run
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

}  // namespace loyalty::server

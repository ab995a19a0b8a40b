#include "engine/server/event_hub.h"

#include <algorithm>

namespace loyalty::server {

void EventHub::Published(int64_t sequence) {
  std::vector<Waiting> woken;
  {
    absl::MutexLock lock(&mu_);
    if (sequence <= durable_) return;
    durable_ = sequence;
    // Every waiter waits for something at or below the old head.
    woken.swap(waiting_);
  }
  for (Waiting& waiting : woken) waiting.wake();
}

int64_t EventHub::durable() const {
  absl::MutexLock lock(&mu_);
  return durable_;
}

void EventHub::Stop() {
  std::vector<Waiting> woken;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    woken.swap(waiting_);
  }
  for (Waiting& waiting : woken) waiting.wake();
}

bool EventHub::stopping() const {
  absl::MutexLock lock(&mu_);
  return stopping_;
}

bool EventHub::Join() {
  absl::MutexLock lock(&mu_);
  if (streams_ >= kMaxEventStreams) return false;
  ++streams_;
  return true;
}

void EventHub::Leave() {
  absl::MutexLock lock(&mu_);
  --streams_;
}

int EventHub::streams() const {
  absl::MutexLock lock(&mu_);
  return streams_;
}

void EventHub::Hold(int64_t bytes) {
  absl::MutexLock lock(&mu_);
  held_bytes_ += bytes;
  max_held_bytes_ = std::max(max_held_bytes_, held_bytes_);
}

void EventHub::Release(int64_t bytes) {
  absl::MutexLock lock(&mu_);
  held_bytes_ -= bytes;
}

int64_t EventHub::held_bytes() const {
  absl::MutexLock lock(&mu_);
  return held_bytes_;
}

int64_t EventHub::max_held_bytes() const {
  absl::MutexLock lock(&mu_);
  return max_held_bytes_;
}

uint64_t EventHub::Wait(int64_t after_sequence, Waker wake) {
  absl::MutexLock lock(&mu_);
  if (stopping_ || durable_ > after_sequence) return 0;
  const uint64_t ticket = next_ticket_++;
  waiting_.push_back({ticket, std::move(wake)});
  return ticket;
}

bool EventHub::Cancel(uint64_t ticket) {
  absl::MutexLock lock(&mu_);
  auto it =
      std::find_if(waiting_.begin(), waiting_.end(),
                   [ticket](const Waiting& w) { return w.ticket == ticket; });
  if (it == waiting_.end()) return false;
  waiting_.erase(it);
  return true;
}

}  // namespace loyalty::server

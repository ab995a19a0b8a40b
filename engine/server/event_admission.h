// An event stream's admission (Events.WatchEvents), the same for every
// door: the call path's steps 1-4, the request's own checks, the query it
// reads with (confined to the call's partner), a place among the
// kMaxEventStreams streams (event_hub.h) and a reader slot (reader_pool.h),
// both held for as long as the stream lasts.
#ifndef LOYALTY_ENGINE_SERVER_EVENT_ADMISSION_H_
#define LOYALTY_ENGINE_SERVER_EVENT_ADMISSION_H_

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "engine/program/event_pages.h"
#include "engine/server/call_path.h"
#include "engine/server/event_hub.h"
#include "engine/server/events_service.h"
#include "engine/server/reader_pool.h"

namespace loyalty::server {

// A place among the open streams; given back when destroyed.
class StreamPlace {
 public:
  explicit StreamPlace(EventHub* hub) : hub_(hub) {}
  StreamPlace(StreamPlace&& other) noexcept
      : hub_(std::exchange(other.hub_, nullptr)) {}
  StreamPlace& operator=(StreamPlace&&) = delete;
  ~StreamPlace() {
    if (hub_ != nullptr) hub_->Leave();
  }

 private:
  EventHub* hub_;
};

struct AdmittedEvents {
  CallLog log;
  program::EventQuery query;
  int64_t after_sequence = 0;
  // Without follow, the stream ends after this entry (durable at the call).
  bool follow = false;
  int64_t end_sequence = 0;
  StreamPlace place;
  ReaderPool::Slot slot;
};

// The admitted stream, or why it is refused (already logged).
absl::StatusOr<AdmittedEvents> AdmitEvents(
    const EventsParts& parts, const CallOrigin& origin,
    const absl::StatusOr<v1::WatchEventsRequest>& request);

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_EVENT_ADMISSION_H_

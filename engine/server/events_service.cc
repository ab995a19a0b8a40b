#include "engine/server/events_service.h"

#include <memory>
#include <optional>
#include <utility>

#include "engine/base/error.h"
#include "engine/server/event_admission.h"
#include "engine/server/grpc_status.h"
#include "engine/server/stream_call.h"

namespace loyalty::server {
namespace {

// One stream. At any moment exactly one of these holds it: a read posted
// to the reader pool, a write in flight, or a wait on the hub; each hands it
// to the next, so there is never more than one page in hand and Finish is
// called once. A cancel while waiting takes the wait back (EventHub::Cancel)
// and finishes; otherwise the read or write in hand sees it.
class EventsReactor : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  EventsReactor(StreamCall call, EventsParts parts, AdmittedEvents admitted)
      : call_(std::move(call)), parts_(parts), admitted_(std::move(admitted)) {
    after_ = admitted_.after_sequence;
    ReadSoon();
  }

  ~EventsReactor() override { parts_.hub->Release(held_); }

  void OnWriteDone(bool ok) override {
    parts_.hub->Release(std::exchange(held_, 0));
    if (!ok) {
      call_.Cancelled();
      End(grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
      return;
    }
    ReadSoon();
  }

  void OnCancel() override {
    call_.Cancelled();
    bool finish = false;
    {
      absl::MutexLock lock(&mu_);
      cancelled_ = true;
      if (ticket_ != 0 && parts_.hub->Cancel(ticket_)) {
        ticket_ = 0;
        finish = true;
      }
    }
    if (finish) {
      End(grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
    }
  }

  void OnDone() override { delete this; }

 private:
  // Counted, then finished; `this` may be gone after it.
  void End(grpc::Status status) { Finish(call_.Ending(std::move(status))); }

  void ReadSoon() {
    parts_.readers->Post(admitted_.slot, [this] { Read(); });
  }

  // On a reader thread. Ends with StartWrite, Finish, a wait or another
  // read, after which `this` is not touched.
  void Read() {
    if (parts_.hub->stopping()) {
      End(ToGrpcStatus(MakeError(absl::StatusCode::kUnavailable,
                                 "SERVER_STOPPING", "",
                                 "the server is stopping; reconnect after "
                                 "the last sequence handled")));
      return;
    }
    if (Cancelled()) {
      End(grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
      return;
    }
    const int64_t durable = parts_.hub->durable();
    const int64_t through = admitted_.follow ? durable : admitted_.end_sequence;
    if (after_ >= through) {
      if (!wrote_) return Write({}, durable);
      if (!admitted_.follow) return End(grpc::Status::OK);
      return Wait();
    }
    absl::StatusOr<program::EventPage> page = program::ReadEventPage(
        *parts_.ledger, admitted_.query, after_, through);
    if (!page.ok()) {
      admitted_.log.Failure(page.status());
      End(ToGrpcStatus(page.status()));
      return;
    }
    after_ = page->scanned_sequence;
    // A page with no wanted event is not sent (but the first one is).
    if (page->events.empty() && wrote_) return ReadSoon();
    Write(std::move(page->events), durable);
  }

  void Write(std::vector<v1::Event> events, int64_t durable) {
    wrote_ = true;
    v1::WatchEventsResponse response;
    for (v1::Event& event : events) *response.add_events() = std::move(event);
    response.set_scanned_sequence(after_);
    response.set_durable_sequence(durable);
    const absl::Status written = SerializeMessage(response, &bytes_);
    if (!written.ok()) {
      admitted_.log.Failure(written);
      End(ToGrpcStatus(written));
      return;
    }
    held_ = static_cast<int64_t>(bytes_.Length());
    parts_.hub->Hold(held_);
    StartWrite(&bytes_);
  }

  // Caught up: read again once an entry after after_ is durable.
  void Wait() {
    {
      absl::MutexLock lock(&mu_);
      if (!cancelled_) {
        ticket_ = parts_.hub->Wait(after_, [this] { Woken(); });
        if (ticket_ != 0) return;
      }
    }
    ReadSoon();  // newer already, stopping, or cancelled: Read decides
  }

  // From the hub (a ledger worker, or a stop): the wait is over.
  void Woken() {
    {
      absl::MutexLock lock(&mu_);
      ticket_ = 0;
    }
    ReadSoon();
  }

  bool Cancelled() {
    absl::MutexLock lock(&mu_);
    return cancelled_;
  }

  StreamCall call_;
  const EventsParts parts_;
  AdmittedEvents admitted_;
  // Touched only by the one that holds the stream (see the class comment).
  int64_t after_ = 0;  // every entry up to here is read
  bool wrote_ = false;
  grpc::ByteBuffer bytes_;  // the page being written
  int64_t held_ = 0;        // its size, counted by the hub until written
  absl::Mutex mu_;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t ticket_ ABSL_GUARDED_BY(mu_) = 0;  // the hub's, while waiting
};

class RefusedEvents : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  RefusedEvents(StreamCall call, const absl::Status& status) {
    Finish(call.Ending(ToGrpcStatus(status)));
  }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerWriteReactor<grpc::ByteBuffer>* EventsService::WatchEvents(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* bytes) {
  StreamCall call = StartStream<v1::WatchEventsRequest>(*parts_.path, *bytes);
  absl::StatusOr<AdmittedEvents> admitted = AdmitEvents(
      parts_, OriginOf(*context), ParseMessage<v1::WatchEventsRequest>(*bytes));
  if (!admitted.ok()) {
    return new RefusedEvents(std::move(call), admitted.status());
  }
  return new EventsReactor(std::move(call), parts_, *std::move(admitted));
}

}  // namespace loyalty::server

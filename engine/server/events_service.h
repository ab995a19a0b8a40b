// The Events service: Events.WatchEvents, a stream admitted by the one call
// path (call_path.h) and answered by a reactor of its own. The reactor reads
// one page of events from the journal (engine/program/event_pages.h) on a
// reader thread (reader_pool.h), writes it, and reads the next only once the
// write is done; caught up, it waits on the EventHub for the next durable
// head. So a stream holds at most one page, a slow consumer only falls
// behind, and the ledger's writer never waits for a consumer.
#ifndef LOYALTY_ENGINE_SERVER_EVENTS_SERVICE_H_
#define LOYALTY_ENGINE_SERVER_EVENTS_SERVICE_H_

#include "engine/ledger/ledger.h"
#include "engine/program/operations.h"
#include "engine/server/call_path.h"
#include "engine/server/event_hub.h"
#include "engine/server/grpc_door.h"
#include "engine/server/reader_pool.h"
#include "loyalty/v1/events.grpc.pb.h"

namespace loyalty::server {

// What an event stream reads with, whichever door it comes through.
struct EventsParts {
  const CallPath* path;
  ledger::Ledger* ledger;
  program::Operations* operations;  // the rule set's tier ladder
  ReaderPool* readers;
  EventHub* hub;
};

class EventsService final
    : public v1::Events::WithRawCallbackMethod_WatchEvents<
          v1::Events::Service> {
 public:
  // Nothing is owned; everything must outlive the service's calls.
  explicit EventsService(EventsParts parts) : parts_(parts) {}

  grpc::ServerWriteReactor<grpc::ByteBuffer>* WatchEvents(
      grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;

 private:
  const EventsParts parts_;
};

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_EVENTS_SERVICE_H_

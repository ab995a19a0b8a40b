#include "engine/server/audit_service.h"

#include <memory>
#include <string>
#include <utility>

#include "engine/base/error.h"
#include "engine/server/call_log.h"
#include "engine/server/grpc_status.h"
#include "engine/server/handlers.h"
#include "engine/server/stream_call.h"

namespace loyalty::server {
namespace {

using loyalty::v1::ExportLedgerResponse;

// Streams pages of entries from one snapshot until the reader is done. Each
// page is read on a reader thread (reader_pool.h), under the export's slot,
// one page at a time: the next is read once the last one is written.
class ExportReactor : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  // Ends early with UNAVAILABLE once `stopping` is set.
  ExportReactor(StreamCall call, std::unique_ptr<ledger::EntryReader> reader,
                CallLog log, const std::atomic<bool>* stopping,
                ReaderPool* readers, ReaderPool::Slot slot)
      : call_(std::move(call)),
        reader_(std::move(reader)),
        log_(std::move(log)),
        stopping_(stopping),
        readers_(readers),
        slot_(std::move(slot)) {
    ReadNextPage();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      call_.Cancelled();
      End(grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
      return;
    }
    ReadNextPage();
  }

  // The read or the write in hand ends the stream.
  void OnCancel() override { call_.Cancelled(); }

  // Returns the slot, as the reactor goes.
  void OnDone() override { delete this; }

 private:
  // Counted, then finished; `this` may be gone after it.
  void End(grpc::Status status) { Finish(call_.Ending(std::move(status))); }

  void ReadNextPage() {
    readers_->Post(slot_, [this] { WriteNextPage(); });
  }

  // On a reader thread. Ends with StartWrite or Finish, after which `this`
  // is not touched (gRPC may run OnWriteDone or OnDone at once).
  void WriteNextPage() {
    if (stopping_->load()) {
      End(ToGrpcStatus(
          MakeError(absl::StatusCode::kUnavailable, "SERVER_STOPPING", "",
                    "the server is stopping; export again once it is back")));
      return;
    }
    auto page = reader_->Next(kExportPageEntries);
    if (!page.ok()) {
      log_.Failure(page.status());
      End(ToGrpcStatus(page.status()));
      return;
    }
    if (page->empty() && wrote_a_page_) {
      End(grpc::Status::OK);
      return;
    }
    // An export with no matching entry still sends one (empty) page, so the
    // client learns the snapshot's sequence.
    wrote_a_page_ = true;
    ExportLedgerResponse response;
    response.set_snapshot_sequence(reader_->snapshot_sequence());
    for (auto& entry : *page) *response.add_entries() = std::move(entry);
    const absl::Status written = SerializeMessage(response, &bytes_);
    if (!written.ok()) {
      log_.Failure(written);
      End(ToGrpcStatus(written));
      return;
    }
    StartWrite(&bytes_);
  }

  StreamCall call_;
  std::unique_ptr<ledger::EntryReader> reader_;
  const CallLog log_;
  const std::atomic<bool>* const stopping_;
  ReaderPool* const readers_;
  const ReaderPool::Slot slot_;
  grpc::ByteBuffer bytes_;  // the page being written
  bool wrote_a_page_ = false;
};

class FailedExport : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  FailedExport(StreamCall call, const absl::Status& status) {
    Finish(call.Ending(ToGrpcStatus(status)));
  }
  void OnDone() override { delete this; }
};

}  // namespace

grpc::ServerWriteReactor<grpc::ByteBuffer>* AuditService::ExportLedger(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* bytes) {
  StreamCall call = StartStream<v1::ExportLedgerRequest>(*path_, *bytes);
  absl::StatusOr<AdmittedExport> admitted =
      AdmitExport(*path_, ledger_, readers_, OriginOf(*context),
                  ParseMessage<v1::ExportLedgerRequest>(*bytes));
  if (!admitted.ok()) {
    return new FailedExport(std::move(call), admitted.status());
  }
  return new ExportReactor(std::move(call), std::move(admitted->reader),
                           std::move(admitted->log), &stopping_, readers_,
                           std::move(admitted->slot));
}

}  // namespace loyalty::server

#include "engine/server/audit_service.h"

#include <memory>
#include <string>
#include <utility>

#include "engine/base/error.h"
#include "engine/base/time_util.h"
#include "engine/server/call_log.h"
#include "engine/server/grpc_status.h"
#include "engine/server/handlers.h"

namespace loyalty::server {
namespace {

using loyalty::v1::ExportLedgerResponse;

// Streams pages of entries from one snapshot until the reader is done. Each
// page is read on a reader thread (reader_pool.h), under the export's slot,
// one page at a time: the next is read once the last one is written.
class ExportReactor : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  // Ends early with UNAVAILABLE once `stopping` is set.
  ExportReactor(std::unique_ptr<ledger::EntryReader> reader, CallLog log,
                const std::atomic<bool>* stopping, ReaderPool* readers,
                ReaderPool::Slot slot)
      : reader_(std::move(reader)),
        log_(std::move(log)),
        stopping_(stopping),
        readers_(readers),
        slot_(std::move(slot)) {
    ReadNextPage();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
      return;
    }
    ReadNextPage();
  }

  // Returns the slot, as the reactor goes.
  void OnDone() override { delete this; }

 private:
  void ReadNextPage() {
    readers_->Post(slot_, [this] { WriteNextPage(); });
  }

  // On a reader thread. Ends with StartWrite or Finish, after which `this`
  // is not touched (gRPC may run OnWriteDone or OnDone at once).
  void WriteNextPage() {
    if (stopping_->load()) {
      Finish(ToGrpcStatus(MakeError(
          absl::StatusCode::kUnavailable, "SERVER_STOPPING", "",
          "the server is stopping; export again once it is back")));
      return;
    }
    auto page = reader_->Next(kExportPageEntries);
    if (!page.ok()) {
      log_.Failure(page.status());
      Finish(ToGrpcStatus(page.status()));
      return;
    }
    if (page->empty() && wrote_a_page_) {
      Finish(grpc::Status::OK);
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
      Finish(ToGrpcStatus(written));
      return;
    }
    StartWrite(&bytes_);
  }

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
  explicit FailedExport(const absl::Status& status) {
    Finish(ToGrpcStatus(status));
  }
  void OnDone() override { delete this; }
};

std::string FormatUtc(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

}  // namespace

grpc::ServerWriteReactor<grpc::ByteBuffer>* AuditService::ExportLedger(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* bytes) {
  const absl::StatusOr<v1::ExportLedgerRequest> request =
      ParseMessage<v1::ExportLedgerRequest>(*bytes);
  Admission call = path_->Admit(OriginOf(*context), request);
  if (call.refusal.ok()) {
    call.refusal =
        CheckTimeRange(request->from_time(), request->to_time(),
                       request->has_from_time(), request->has_to_time());
  }
  if (!call.refusal.ok()) {
    call.log.Failure(call.refusal);
    return new FailedExport(call.refusal);
  }
  ledger::EntryFilter filter;
  if (request->has_from_time()) filter.from_time = FromTimestamp(request->from_time());
  if (request->has_to_time()) filter.to_time = FromTimestamp(request->to_time());
  filter.member_id = request->member_id();
  filter.partner_id = call.partner_id;
  // Who exported which period; a member filter is said, not named.
  call.log.Event(
      LogLevel::kInfo, "export_started",
      {{"from_time",
        request->has_from_time() ? FormatUtc(*filter.from_time) : ""},
       {"to_time", request->has_to_time() ? FormatUtc(*filter.to_time) : ""},
       {"partner_id", filter.partner_id},
       {"one_member", filter.member_id.empty() ? 0 : 1}});
  absl::StatusOr<ReaderPool::Slot> slot = readers_->Take();
  if (!slot.ok()) {
    call.log.Failure(slot.status());
    return new FailedExport(slot.status());
  }
  return new ExportReactor(ledger_->NewEntryReader(std::move(filter)),
                           std::move(call.log), &stopping_, readers_,
                           *std::move(slot));
}

}  // namespace loyalty::server

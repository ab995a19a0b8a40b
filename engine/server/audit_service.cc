#include "engine/server/audit_service.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "engine/analytics/metrics.h"
#include "engine/base/error.h"
#include "engine/base/time_util.h"
#include "engine/server/grpc_status.h"

namespace loyalty::server {
namespace {

using loyalty::v1::ExportLedgerResponse;

// Streams pages of entries from one snapshot until the reader is done.
class ExportReactor : public grpc::ServerWriteReactor<ExportLedgerResponse> {
 public:
  // Ends early with UNAVAILABLE once `stopping` is set.
  ExportReactor(std::unique_ptr<ledger::EntryReader> reader,
                const std::atomic<bool>* stopping)
      : reader_(std::move(reader)), stopping_(stopping) {
    WriteNextPage();
  }

  void OnWriteDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"));
      return;
    }
    WriteNextPage();
  }

  void OnDone() override { delete this; }

 private:
  void WriteNextPage() {
    if (stopping_->load()) {
      Finish(ToGrpcStatus(MakeError(
          absl::StatusCode::kUnavailable, "SERVER_STOPPING", "",
          "the server is stopping; export again once it is back")));
      return;
    }
    auto page = reader_->Next(kExportPageEntries);
    if (!page.ok()) {
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
    response_.Clear();
    response_.set_snapshot_sequence(reader_->snapshot_sequence());
    for (auto& entry : *page) *response_.add_entries() = std::move(entry);
    StartWrite(&response_);
  }

  std::unique_ptr<ledger::EntryReader> reader_;
  const std::atomic<bool>* const stopping_;
  ExportLedgerResponse response_;
  bool wrote_a_page_ = false;
};

class FailedExport : public grpc::ServerWriteReactor<ExportLedgerResponse> {
 public:
  explicit FailedExport(const absl::Status& status) {
    Finish(ToGrpcStatus(status));
  }
  void OnDone() override { delete this; }
};

absl::Status CheckRange(const google::protobuf::Timestamp& from,
                        const google::protobuf::Timestamp& to, bool has_from,
                        bool has_to) {
  if (has_from && has_to && FromTimestamp(to) <= FromTimestamp(from)) {
    return InvalidArgument("INVALID_RANGE", "to_time",
                           "to_time must be after from_time");
  }
  return absl::OkStatus();
}

absl::Status Busy() {
  return MakeError(absl::StatusCode::kUnavailable, "AUDIT_TASK_RUNNING", "",
                   "a verification or backup is running; retry when it ends");
}

}  // namespace

absl::Status AuditService::Denied(const grpc::CallbackServerContext& context,
                                  Rpc rpc) const {
  return services_.authorizer->Check(context, rpc).status();
}

AuditService::~AuditService() {
  // Joined without the lock: the worker takes it as it ends.
  std::thread worker;
  {
    absl::MutexLock lock(&mu_);
    worker = std::move(worker_);
  }
  if (worker.joinable()) worker.join();
}

bool AuditService::RunInBackground(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  if (busy_) return false;
  busy_ = true;
  if (worker_.joinable()) worker_.join();  // finished: busy_ was false
  worker_ = std::thread([this, task = std::move(task)] {
    task();
    absl::MutexLock done(&mu_);
    busy_ = false;
  });
  return true;
}

grpc::ServerWriteReactor<ExportLedgerResponse>* AuditService::ExportLedger(
    grpc::CallbackServerContext* context,
    const loyalty::v1::ExportLedgerRequest* request) {
  absl::StatusOr<Caller> caller =
      services_.authorizer->Check(*context, Rpc::kExportLedger);
  if (!caller.ok()) return new FailedExport(caller.status());
  absl::Status range = CheckRange(request->from_time(), request->to_time(),
                                   request->has_from_time(), request->has_to_time());
  if (range.ok() && !request->partner_id().empty()) {
    range = CheckPartner(*caller, request->partner_id(), "partner_id");
  }
  if (!range.ok()) return new FailedExport(range);
  ledger::EntryFilter filter;
  if (request->has_from_time()) filter.from_time = FromTimestamp(request->from_time());
  if (request->has_to_time()) filter.to_time = FromTimestamp(request->to_time());
  filter.member_id = request->member_id();
  filter.partner_id =
      caller->partner_id.empty() ? request->partner_id() : caller->partner_id;
  return new ExportReactor(ledger_->NewEntryReader(std::move(filter)), &stopping_);
}

grpc::ServerUnaryReactor* AuditService::VerifyLedger(
    grpc::CallbackServerContext* context,
    const loyalty::v1::VerifyLedgerRequest* /*request*/,
    loyalty::v1::VerifyLedgerResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (absl::Status denied = Denied(*context, Rpc::kVerifyLedger); !denied.ok()) {
    reactor->Finish(ToGrpcStatus(denied));
    return reactor;
  }
  const bool started = RunInBackground([this, reactor, response] {
    const auto head = ledger_->Head();
    auto report = ledger_->Audit();
    if (report.ok()) {
      response->set_ok(report->ok());
      response->set_entries_checked(report->entries_checked);
      response->set_members_checked(report->members_checked);
      response->set_problem(report->problem);
      response->set_head_sequence(head.sequence());
      response->set_head_hash(head.hash());
    }
    reactor->Finish(ToGrpcStatus(report.status()));
  });
  if (!started) reactor->Finish(ToGrpcStatus(Busy()));
  return reactor;
}

grpc::ServerUnaryReactor* AuditService::GetProgramMetrics(
    grpc::CallbackServerContext* context,
    const loyalty::v1::GetProgramMetricsRequest* request,
    loyalty::v1::GetProgramMetricsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::Status status = Denied(*context, Rpc::kGetProgramMetrics);
  if (status.ok()) status = CheckRange(request->from_time(), request->to_time(),
                                   request->has_from_time(), request->has_to_time());
  if (status.ok()) {
    auto metrics = analytics::ComputeMetrics(
        *ledger_, services_.operations->rules()->rule_set(), *request,
        clock_->Now());
    if (metrics.ok()) *response = *std::move(metrics);
    status = metrics.status();
  }
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

grpc::ServerUnaryReactor* AuditService::SettlePartners(
    grpc::CallbackServerContext* context,
    const loyalty::v1::SettlePartnersRequest* request,
    loyalty::v1::SettlePartnersResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<Caller> caller =
      services_.authorizer->Check(*context, Rpc::kSettlePartners);
  if (!caller.ok()) {
    reactor->Finish(ToGrpcStatus(caller.status()));
    return reactor;
  }
  // A scan of the period: on the background thread, like verification.
  const bool started = RunInBackground(
      [this, reactor, response, request, partner = caller->partner_id] {
        auto settled = services_.operations->SettlePartners(*request);
        if (settled.ok()) {
          *response = *std::move(settled);
          if (!partner.empty()) {  // a partner-bound key sees its own row
            auto* parties = response->mutable_parties();
            parties->erase(std::remove_if(parties->begin(), parties->end(),
                                          [&](const auto& party) {
                                            return party.partner_id() != partner;
                                          }),
                           parties->end());
            auto* claims = response->mutable_claims();
            claims->erase(std::remove_if(claims->begin(), claims->end(),
                                         [&](const auto& claim) {
                                           return claim.from_partner_id() != partner &&
                                                  claim.to_partner_id() != partner;
                                         }),
                          claims->end());
          }
        }
        reactor->Finish(ToGrpcStatus(settled.status()));
      });
  if (!started) reactor->Finish(ToGrpcStatus(Busy()));
  return reactor;
}

grpc::ServerUnaryReactor* AuditService::CreateBackup(
    grpc::CallbackServerContext* context,
    const loyalty::v1::CreateBackupRequest* request,
    loyalty::v1::CreateBackupResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (absl::Status denied = Denied(*context, Rpc::kCreateBackup); !denied.ok()) {
    reactor->Finish(ToGrpcStatus(denied));
    return reactor;
  }
  if (request->backup_dir().empty()) {
    reactor->Finish(ToGrpcStatus(InvalidArgument(
        "MISSING_FIELD", "backup_dir", "name a directory on the server")));
    return reactor;
  }
  const bool started =
      RunInBackground([this, reactor, response, dir = request->backup_dir()] {
        auto backup = ledger_->CreateBackup(dir);
        if (backup.ok()) {
          response->set_backup_id(backup->backup_id);
          response->set_sequence(backup->sequence);
          response->set_size_bytes(backup->size_bytes);
        }
        reactor->Finish(ToGrpcStatus(backup.status()));
      });
  if (!started) reactor->Finish(ToGrpcStatus(Busy()));
  return reactor;
}

}  // namespace loyalty::server

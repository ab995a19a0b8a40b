#include "engine/server/audit_service.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "engine/analytics/metrics.h"
#include "engine/base/error.h"
#include "engine/base/limits.h"
#include "engine/base/thread_name.h"
#include "engine/base/time_util.h"
#include "engine/server/call_log.h"
#include "engine/server/grpc_status.h"

namespace loyalty::server {
namespace {

using loyalty::v1::ExportLedgerResponse;

// Streams pages of entries from one snapshot until the reader is done.
class ExportReactor : public grpc::ServerWriteReactor<ExportLedgerResponse> {
 public:
  // Ends early with UNAVAILABLE once `stopping` is set.
  ExportReactor(std::unique_ptr<ledger::EntryReader> reader, CallLog log,
                const std::atomic<bool>* stopping)
      : reader_(std::move(reader)), log_(std::move(log)), stopping_(stopping) {
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
    response_.Clear();
    response_.set_snapshot_sequence(reader_->snapshot_sequence());
    for (auto& entry : *page) *response_.add_entries() = std::move(entry);
    StartWrite(&response_);
  }

  std::unique_ptr<ledger::EntryReader> reader_;
  const CallLog log_;
  const std::atomic<bool>* const stopping_;
  ExportLedgerResponse response_;
  bool wrote_a_page_ = false;
};

class FailedExport : public grpc::ServerWriteReactor<ExportLedgerResponse> {
 public:
  FailedExport(const absl::Status& status, const CallLog& log) {
    log.Failure(status);
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

std::string FormatUtc(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

absl::Status Busy() {
  return MakeError(absl::StatusCode::kUnavailable, "AUDIT_TASK_RUNNING", "",
                   "a verification or backup is running; retry when it ends");
}

// Finishes a unary call with `status`, logging it when it failed.
void FinishLogged(grpc::ServerUnaryReactor* reactor, const CallLog& log,
                  const absl::Status& status) {
  log.Failure(status);
  reactor->Finish(ToGrpcStatus(status));
}

}  // namespace

template <typename Request>
CallLog AuditService::LogOf(const grpc::CallbackServerContext& context, Rpc rpc,
                            const Request& request,
                            absl::StatusOr<Caller>* caller) const {
  *caller = services_.authorizer->Check(context, rpc);
  CallLog log = CallLog::Of(services_.logger, rpc, context, *caller, request);
  // The caller first (an unknown caller learns nothing of the limits), then
  // the request's sizes (engine/base/limits.h).
  if (caller->ok()) {
    absl::Status limits = CheckRequestLimits(request);
    if (!limits.ok()) *caller = limits;
  }
  return log;
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

void AuditService::RunInBackground(grpc::ServerUnaryReactor* reactor,
                                   const CallLog& log,
                                   std::function<absl::Status()> work) {
  absl::MutexLock lock(&mu_);
  if (busy_) {
    FinishLogged(reactor, log, Busy());
    return;
  }
  busy_ = true;
  if (worker_.joinable()) worker_.join();  // finished: busy_ was false
  worker_ = std::thread([this, reactor, log, work = std::move(work)] {
    const absl::Status status = work();
    {
      absl::MutexLock done(&mu_);
      busy_ = false;
    }
    FinishLogged(reactor, log, status);
  });
  NameThread(worker_, "audit-worker");
}

grpc::ServerWriteReactor<ExportLedgerResponse>* AuditService::ExportLedger(
    grpc::CallbackServerContext* context,
    const loyalty::v1::ExportLedgerRequest* request) {
  absl::StatusOr<Caller> caller;
  CallLog log = LogOf(*context, Rpc::kExportLedger, *request, &caller);
  if (!caller.ok()) return new FailedExport(caller.status(), log);
  absl::Status range = CheckRange(request->from_time(), request->to_time(),
                                   request->has_from_time(), request->has_to_time());
  if (range.ok() && !request->partner_id().empty()) {
    range = CheckPartner(*caller, request->partner_id(), "partner_id");
  }
  if (!range.ok()) return new FailedExport(range, log);
  ledger::EntryFilter filter;
  if (request->has_from_time()) filter.from_time = FromTimestamp(request->from_time());
  if (request->has_to_time()) filter.to_time = FromTimestamp(request->to_time());
  filter.member_id = request->member_id();
  filter.partner_id =
      caller->partner_id.empty() ? request->partner_id() : caller->partner_id;
  // Who exported which period; a member filter is said, not named.
  log.Event(LogLevel::kInfo, "export_started",
            {{"from_time", request->has_from_time() ? FormatUtc(*filter.from_time) : ""},
             {"to_time", request->has_to_time() ? FormatUtc(*filter.to_time) : ""},
             {"partner_id", filter.partner_id},
             {"one_member", filter.member_id.empty() ? 0 : 1}});
  return new ExportReactor(ledger_->NewEntryReader(std::move(filter)), std::move(log),
                           &stopping_);
}

grpc::ServerUnaryReactor* AuditService::VerifyLedger(
    grpc::CallbackServerContext* context,
    const loyalty::v1::VerifyLedgerRequest* request,
    loyalty::v1::VerifyLedgerResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<Caller> caller;
  const CallLog log = LogOf(*context, Rpc::kVerifyLedger, *request, &caller);
  if (!caller.ok()) {
    FinishLogged(reactor, log, caller.status());
    return reactor;
  }
  RunInBackground(reactor, log, [this, response, log] {
    const auto head = ledger_->Head();
    auto report = ledger_->Audit();
    if (report.ok()) {
      response->set_ok(report->ok());
      response->set_entries_checked(report->entries_checked);
      response->set_members_checked(report->members_checked);
      response->set_problem(report->problem);
      response->set_head_sequence(head.sequence());
      response->set_head_hash(head.hash());
      if (!report->ok()) {
        log.Event(LogLevel::kError, "ledger_verify_failed", {{"problem", report->problem}});
      }
    }
    return report.status();
  });
  return reactor;
}

grpc::ServerUnaryReactor* AuditService::GetProgramMetrics(
    grpc::CallbackServerContext* context,
    const loyalty::v1::GetProgramMetricsRequest* request,
    loyalty::v1::GetProgramMetricsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<Caller> caller;
  const CallLog log = LogOf(*context, Rpc::kGetProgramMetrics, *request, &caller);
  absl::Status status = caller.status();
  if (status.ok()) status = CheckRange(request->from_time(), request->to_time(),
                                   request->has_from_time(), request->has_to_time());
  if (status.ok()) {
    auto metrics = analytics::ComputeMetrics(
        *ledger_, services_.operations->rules()->rule_set(), *request,
        clock_->Now());
    if (metrics.ok()) *response = *std::move(metrics);
    status = metrics.status();
  }
  FinishLogged(reactor, log, status);
  return reactor;
}

grpc::ServerUnaryReactor* AuditService::SettlePartners(
    grpc::CallbackServerContext* context,
    const loyalty::v1::SettlePartnersRequest* request,
    loyalty::v1::SettlePartnersResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<Caller> caller;
  const CallLog log = LogOf(*context, Rpc::kSettlePartners, *request, &caller);
  if (!caller.ok()) {
    FinishLogged(reactor, log, caller.status());
    return reactor;
  }
  // A scan of the period: on the background thread, like verification.
  RunInBackground(
      reactor, log, [this, response, request, partner = caller->partner_id] {
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
        return settled.status();
      });
  return reactor;
}

grpc::ServerUnaryReactor* AuditService::CreateBackup(
    grpc::CallbackServerContext* context,
    const loyalty::v1::CreateBackupRequest* request,
    loyalty::v1::CreateBackupResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  absl::StatusOr<Caller> caller;
  const CallLog log = LogOf(*context, Rpc::kCreateBackup, *request, &caller);
  if (!caller.ok()) {
    FinishLogged(reactor, log, caller.status());
    return reactor;
  }
  if (request->backup_dir().empty()) {
    FinishLogged(reactor, log, InvalidArgument("MISSING_FIELD", "backup_dir",
                                               "name a directory on the server"));
    return reactor;
  }
  RunInBackground(
      reactor, log, [this, response, log, dir = request->backup_dir()] {
        log.Event(LogLevel::kInfo, "backup_started", {{"dir", dir}});
        auto backup = ledger_->CreateBackup(dir);
        if (backup.ok()) {
          response->set_backup_id(backup->backup_id);
          response->set_sequence(backup->sequence);
          response->set_size_bytes(backup->size_bytes);
          log.Event(LogLevel::kInfo, "backup_created",
                    {{"dir", dir}, {"backup_id", backup->backup_id},
                     {"sequence", backup->sequence}, {"size_bytes", backup->size_bytes}});
        }
        return backup.status();
      });
  return reactor;
}

}  // namespace loyalty::server

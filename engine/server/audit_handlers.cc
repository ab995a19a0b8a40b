// Audit: the handlers of verification, metrics, settlement and backups (the
// export is a stream: audit_service.cc).
#include <string>
#include <utility>

#include "engine/analytics/metrics.h"
#include "engine/base/error.h"
#include "engine/base/time_util.h"
#include "engine/server/handlers.h"

namespace loyalty::server {

absl::Status CheckTimeRange(const google::protobuf::Timestamp& from,
                            const google::protobuf::Timestamp& to,
                            bool has_from, bool has_to) {
  if (has_from && has_to && FromTimestamp(to) <= FromTimestamp(from)) {
    return InvalidArgument("INVALID_RANGE", "to_time",
                           "to_time must be after from_time");
  }
  return absl::OkStatus();
}

void RpcHandlers::Run(const v1::VerifyLedgerRequest&, const Admission& call,
                      ReplyTo<v1::VerifyLedgerRequest> reply) {
  audit_task_.Run<v1::VerifyLedgerResponse>(
      std::move(reply),
      [this, log = call.log]() -> absl::StatusOr<v1::VerifyLedgerResponse> {
        const auto head = ledger_->Head();
        auto report = ledger_->Audit();
        if (!report.ok()) return report.status();
        v1::VerifyLedgerResponse response;
        response.set_ok(report->ok());
        response.set_entries_checked(report->entries_checked);
        response.set_members_checked(report->members_checked);
        response.set_problem(report->problem);
        response.set_head_sequence(head.sequence());
        response.set_head_hash(head.hash());
        if (!report->ok()) {
          log.Event(LogLevel::kError, "ledger_verify_failed",
                    {{"problem", report->problem}});
        }
        return response;
      });
}

void RpcHandlers::Run(const v1::GetProgramMetricsRequest& request,
                      const Admission&,
                      ReplyTo<v1::GetProgramMetricsRequest> reply) {
  const absl::Status range =
      CheckTimeRange(request.from_time(), request.to_time(),
                     request.has_from_time(), request.has_to_time());
  if (!range.ok()) {
    reply(range);
    return;
  }
  // Reads every month's counters of the period: on a reader thread.
  readers_->Read<v1::GetProgramMetricsResponse>(
      std::move(reply), [this, &request] {
        return analytics::ComputeMetrics(
            *ledger_, operations_->rules()->rule_set(), request, clock_->Now());
      });
}

void RpcHandlers::Run(const v1::SettlePartnersRequest& request,
                      const Admission& call,
                      ReplyTo<v1::SettlePartnersRequest> reply) {
  // A scan of the period: on the background thread, like verification.
  audit_task_.Run<v1::SettlePartnersResponse>(
      std::move(reply), [this, &request, partner = call.partner_id] {
        return operations_->SettlePartners(request, partner);
      });
}

void RpcHandlers::Run(const v1::CreateBackupRequest& request,
                      const Admission& call,
                      ReplyTo<v1::CreateBackupRequest> reply) {
  if (request.backup_dir().empty()) {
    reply(InvalidArgument("MISSING_FIELD", "backup_dir",
                          "name a directory on the server"));
    return;
  }
  audit_task_.Run<v1::CreateBackupResponse>(
      std::move(reply),
      [this, log = call.log, dir = request.backup_dir()]()
          -> absl::StatusOr<v1::CreateBackupResponse> {
        log.Event(LogLevel::kInfo, "backup_started", {{"dir", dir}});
        auto backup = ledger_->CreateBackup(dir);
        if (!backup.ok()) return backup.status();
        log.Event(LogLevel::kInfo, "backup_created",
                  {{"dir", dir},
                   {"backup_id", backup->backup_id},
                   {"sequence", backup->sequence},
                   {"size_bytes", backup->size_bytes}});
        v1::CreateBackupResponse response;
        response.set_backup_id(backup->backup_id);
        response.set_sequence(backup->sequence);
        response.set_size_bytes(backup->size_bytes);
        return response;
      });
}

}  // namespace loyalty::server

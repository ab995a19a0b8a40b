// The Audit service: snapshot exports, verification, metrics and backups.
// Long tasks (verification, backups) run one at a time on a background
// thread, so that no gRPC callback thread waits on a ledger scan.
#ifndef LOYALTY_ENGINE_SERVER_AUDIT_SERVICE_H_
#define LOYALTY_ENGINE_SERVER_AUDIT_SERVICE_H_

#include <atomic>
#include <functional>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "engine/base/clock.h"
#include "engine/ledger/ledger.h"
#include "engine/program/operations.h"
#include "engine/server/call_log.h"
#include "engine/server/services.h"
#include "loyalty/v1/audit.grpc.pb.h"

namespace loyalty::server {

// Entries per ExportLedger message.
inline constexpr int kExportPageEntries = 256;

class AuditService final : public loyalty::v1::Audit::CallbackService {
 public:
  AuditService(ledger::Ledger* ledger, ServiceContext services, Clock* clock)
      : ledger_(ledger), services_(services), clock_(clock) {}
  // Waits for the background task, if one runs.
  ~AuditService() override;

  // For a stop of the server: exports in progress end at their next page
  // with UNAVAILABLE (export again later). A verification or a backup
  // already running finishes.
  void Stop() { stopping_ = true; }

  grpc::ServerWriteReactor<loyalty::v1::ExportLedgerResponse>* ExportLedger(
      grpc::CallbackServerContext* context,
      const loyalty::v1::ExportLedgerRequest* request) override;
  grpc::ServerUnaryReactor* VerifyLedger(
      grpc::CallbackServerContext* context,
      const loyalty::v1::VerifyLedgerRequest* request,
      loyalty::v1::VerifyLedgerResponse* response) override;
  grpc::ServerUnaryReactor* GetProgramMetrics(
      grpc::CallbackServerContext* context,
      const loyalty::v1::GetProgramMetricsRequest* request,
      loyalty::v1::GetProgramMetricsResponse* response) override;
  grpc::ServerUnaryReactor* SettlePartners(
      grpc::CallbackServerContext* context,
      const loyalty::v1::SettlePartnersRequest* request,
      loyalty::v1::SettlePartnersResponse* response) override;
  grpc::ServerUnaryReactor* CreateBackup(
      grpc::CallbackServerContext* context,
      const loyalty::v1::CreateBackupRequest* request,
      loyalty::v1::CreateBackupResponse* response) override;

 private:
  // Checks the caller of `context`, then the sizes of `request`
  // (engine/base/limits.h), into *caller; returns the call's log.
  template <typename Request>
  CallLog LogOf(const grpc::CallbackServerContext& context, Rpc rpc,
                const Request& request, absl::StatusOr<Caller>* caller) const;
  // Runs `work` on the background thread, then finishes the call with its
  // status; when another task runs, finishes it at once with UNAVAILABLE.
  // The service is idle again before the answer leaves, so a caller that
  // sends its next request as soon as it has the answer is not refused.
  void RunInBackground(grpc::ServerUnaryReactor* reactor, const CallLog& log,
                       std::function<absl::Status()> work);

  ledger::Ledger* const ledger_;
  const ServiceContext services_;
  Clock* const clock_;
  std::atomic<bool> stopping_{false};
  absl::Mutex mu_;
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  std::thread worker_ ABSL_GUARDED_BY(mu_);
};

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_AUDIT_SERVICE_H_

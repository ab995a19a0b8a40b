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
  // Why the caller of `context` may not call `rpc`, or OK.
  absl::Status Denied(const grpc::CallbackServerContext& context, Rpc rpc) const;
  // Runs `task` on the background thread, or returns false when one runs.
  bool RunInBackground(std::function<void()> task);

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

// The Audit service: a thin door onto the call path (services.h), plus the
// snapshot export, a stream answered by a reactor of its own whose pages are
// read on the reader pool (reader_pool.h). Verification,
// settlement and backups run one at a time on a background thread
// (handlers.h), so that no gRPC callback thread waits on a ledger scan.
#ifndef LOYALTY_ENGINE_SERVER_AUDIT_SERVICE_H_
#define LOYALTY_ENGINE_SERVER_AUDIT_SERVICE_H_

#include <atomic>

#include "engine/ledger/ledger.h"
#include "engine/server/call_path.h"
#include "engine/server/export_admission.h"
#include "engine/server/grpc_door.h"
#include "engine/server/reader_pool.h"
#include "loyalty/v1/audit.grpc.pb.h"

namespace loyalty::server {

using AuditBase = v1::Audit::WithRawCallbackMethod_ExportLedger<
    v1::Audit::WithRawCallbackMethod_VerifyLedger<
        v1::Audit::WithRawCallbackMethod_GetProgramMetrics<
            v1::Audit::WithRawCallbackMethod_SettlePartners<
                v1::Audit::WithRawCallbackMethod_CreateBackup<
                    v1::Audit::Service>>>>>;

class AuditService final : public AuditBase {
 public:
  // Export pages are read on `readers`.
  AuditService(const CallPath* path, ledger::Ledger* ledger,
               ReaderPool* readers)
      : path_(path), ledger_(ledger), readers_(readers) {}

  // For a stop of the server: exports in progress end at their next page
  // with UNAVAILABLE (export again later). A verification or a backup
  // already running finishes.
  void Stop() { stopping_ = true; }

  grpc::ServerWriteReactor<grpc::ByteBuffer>* ExportLedger(
      grpc::CallbackServerContext* context,
      const grpc::ByteBuffer* request) override;

  grpc::ServerUnaryReactor* VerifyLedger(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override {
    return ServeUnary<v1::VerifyLedgerRequest>(*path_, context, request,
                                               response);
  }
  grpc::ServerUnaryReactor* GetProgramMetrics(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override {
    return ServeUnary<v1::GetProgramMetricsRequest>(*path_, context, request,
                                                    response);
  }
  grpc::ServerUnaryReactor* SettlePartners(
      grpc::CallbackServerContext* context, const grpc::ByteBuffer* request,
      grpc::ByteBuffer* response) override {
    return ServeUnary<v1::SettlePartnersRequest>(*path_, context, request,
                                                 response);
  }
  grpc::ServerUnaryReactor* CreateBackup(grpc::CallbackServerContext* context,
                                         const grpc::ByteBuffer* request,
                                         grpc::ByteBuffer* response) override {
    return ServeUnary<v1::CreateBackupRequest>(*path_, context, request,
                                               response);
  }

 private:
  const CallPath* const path_;
  ledger::Ledger* const ledger_;
  ReaderPool* const readers_;
  std::atomic<bool> stopping_{false};
};

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_AUDIT_SERVICE_H_

// The work of every unary RPC, whatever door its request came through: one
// Run overload per request type, called by the call path (call_path.h) once
// the call is admitted (caller checked, request bounded, partner scope
// resolved). Each Run answers `reply` exactly once, on any thread: at once
// for a point read, from a reader thread for a history page or the metrics
// (reader_pool.h), from the ledger's completer once a write is durable (the
// caller's deadline goes with every write), or from the background thread
// for a verification, settlement or backup. `request` stays valid until
// `reply` is called.
//
// Thread-safe: one RpcHandlers serves every call at once.
#ifndef LOYALTY_ENGINE_SERVER_HANDLERS_H_
#define LOYALTY_ENGINE_SERVER_HANDLERS_H_

#include "engine/base/clock.h"
#include "engine/ledger/ledger.h"
#include "engine/program/operations.h"
#include "engine/server/admission.h"
#include "engine/server/auth.h"
#include "engine/server/background_task.h"
#include "engine/server/reader_pool.h"
#include "engine/server/rpc_table.h"

namespace loyalty::server {

template <typename Request>
using ReplyTo = program::Reply<ResponseOf<Request>>;

class RpcHandlers {
 public:
  // Nothing is owned; everything must outlive this object. Histories and
  // metrics are read on `readers`.
  RpcHandlers(program::Operations* operations, ledger::Ledger* ledger,
              KeyRing* keys, Clock* clock, ReaderPool* readers)
      : operations_(operations),
        ledger_(ledger),
        keys_(keys),
        clock_(clock),
        readers_(readers) {}
  RpcHandlers(const RpcHandlers&) = delete;
  RpcHandlers& operator=(const RpcHandlers&) = delete;

  // Checkout and Members (handlers.cc).
  void Run(const v1::QuotePurchaseRequest& request, const Admission& call,
           ReplyTo<v1::QuotePurchaseRequest> reply);
  void Run(const v1::CommitPurchaseRequest& request, const Admission& call,
           ReplyTo<v1::CommitPurchaseRequest> reply);
  void Run(const v1::CommitPurchasesRequest& request, const Admission& call,
           ReplyTo<v1::CommitPurchasesRequest> reply);
  void Run(const v1::RefundPurchaseRequest& request, const Admission& call,
           ReplyTo<v1::RefundPurchaseRequest> reply);
  void Run(const v1::RedeemRewardRequest& request, const Admission& call,
           ReplyTo<v1::RedeemRewardRequest> reply);
  void Run(const v1::EnrollMemberRequest& request, const Admission& call,
           ReplyTo<v1::EnrollMemberRequest> reply);
  void Run(const v1::GetMemberRequest& request, const Admission& call,
           ReplyTo<v1::GetMemberRequest> reply);
  void Run(const v1::GetBalanceRequest& request, const Admission& call,
           ReplyTo<v1::GetBalanceRequest> reply);
  void Run(const v1::ListEntriesRequest& request, const Admission& call,
           ReplyTo<v1::ListEntriesRequest> reply);
  // Members' data (member_handlers.cc).
  void Run(const v1::UpdateMemberRequest& request, const Admission& call,
           ReplyTo<v1::UpdateMemberRequest> reply);
  void Run(const v1::SearchMembersRequest& request, const Admission& call,
           ReplyTo<v1::SearchMembersRequest> reply);
  void Run(const v1::ExportMemberDataRequest& request, const Admission& call,
           ReplyTo<v1::ExportMemberDataRequest> reply);
  void Run(const v1::EraseMemberRequest& request, const Admission& call,
           ReplyTo<v1::EraseMemberRequest> reply);

  // Program (program_handlers.cc).
  void Run(const v1::ValidateRulesRequest& request, const Admission& call,
           ReplyTo<v1::ValidateRulesRequest> reply);
  void Run(const v1::LoadRulesRequest& request, const Admission& call,
           ReplyTo<v1::LoadRulesRequest> reply);
  void Run(const v1::GetRulesRequest& request, const Admission& call,
           ReplyTo<v1::GetRulesRequest> reply);
  void Run(const v1::UpsertPartnerRequest& request, const Admission& call,
           ReplyTo<v1::UpsertPartnerRequest> reply);
  void Run(const v1::ListPartnersRequest& request, const Admission& call,
           ReplyTo<v1::ListPartnersRequest> reply);
  void Run(const v1::AdjustBalanceRequest& request, const Admission& call,
           ReplyTo<v1::AdjustBalanceRequest> reply);
  void Run(const v1::RecordFeedbackRequest& request, const Admission& call,
           ReplyTo<v1::RecordFeedbackRequest> reply);
  void Run(const v1::CreateApiKeyRequest& request, const Admission& call,
           ReplyTo<v1::CreateApiKeyRequest> reply);
  void Run(const v1::ListApiKeysRequest& request, const Admission& call,
           ReplyTo<v1::ListApiKeysRequest> reply);
  void Run(const v1::RevokeApiKeyRequest& request, const Admission& call,
           ReplyTo<v1::RevokeApiKeyRequest> reply);

  // Audit (audit_handlers.cc). Verification, settlement and backups run one
  // at a time on a background thread (background_task.h).
  void Run(const v1::VerifyLedgerRequest& request, const Admission& call,
           ReplyTo<v1::VerifyLedgerRequest> reply);
  void Run(const v1::GetProgramMetricsRequest& request, const Admission& call,
           ReplyTo<v1::GetProgramMetricsRequest> reply);
  void Run(const v1::SettlePartnersRequest& request, const Admission& call,
           ReplyTo<v1::SettlePartnersRequest> reply);
  void Run(const v1::CreateBackupRequest& request, const Admission& call,
           ReplyTo<v1::CreateBackupRequest> reply);

 private:
  program::Operations* const operations_;
  ledger::Ledger* const ledger_;
  KeyRing* const keys_;
  Clock* const clock_;
  ReaderPool* const readers_;
  BackgroundTask audit_task_;
};

// INVALID_ARGUMENT (INVALID_RANGE, field to_time) when both times are set
// and `to` is not after `from`.
absl::Status CheckTimeRange(const google::protobuf::Timestamp& from,
                            const google::protobuf::Timestamp& to,
                            bool has_from, bool has_to);

// The API key as clients see it (never the secret's hash).
v1::ApiKey ApiKeyOf(const v1::ApiKeyRecord& record);

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_HANDLERS_H_

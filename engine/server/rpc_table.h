// The table of RPCs the one call path (call_path.h) serves: for each request
// type, its Rpc (the role table of auth.cc is keyed by it), its response and
// how it meets a partner-bound API key. One row per RPC, whichever door the
// request comes through; tests/integration/security_test.cc checks every row
// over TLS, role by RPC and partner scope by RPC.
#ifndef LOYALTY_ENGINE_SERVER_RPC_TABLE_H_
#define LOYALTY_ENGINE_SERVER_RPC_TABLE_H_

#include "absl/strings/string_view.h"
#include "engine/server/auth.h"
#include "loyalty/v1/audit.pb.h"
#include "loyalty/v1/checkout.pb.h"
#include "loyalty/v1/events.pb.h"
#include "loyalty/v1/members.pb.h"
#include "loyalty/v1/program.pb.h"

namespace loyalty::server {

// How an RPC meets a key bound to a partner (auth.h). The path resolves it
// once per call into the partner the call is confined to
// (Admission::partner_id), which the handler passes down to the program or
// the ledger: nothing filters an answer after the fact.
enum class PartnerScope {
  // The call touches no one partner's data: the key's role decides alone.
  kNone,
  // The request names the partner it acts for (a sale, a refund, a
  // partner's terms): a bound key must name its own partner, else
  // PERMISSION_DENIED with reason PARTNER_SCOPE and that field.
  kActsFor,
  // A read narrowed to the key's partner: a bound key sees only its
  // partner's entries or rows. A partner the request names as a filter must
  // be the key's own (PARTNER_SCOPE, as above); with an unbound key it
  // narrows the read to that partner.
  kNarrows,
  // The call changes or reads the whole program, not one partner's part of
  // it (the rule set, the maintenance run, a member's balance by hand, the
  // program's figures, a backup): a bound key is refused, PERMISSION_DENIED
  // with reason PARTNER_SCOPE.
  kProgram,
};

// The partner a request names, and the field that names it; empty for a
// request that names none.
struct NamedPartner {
  absl::string_view partner_id;
  absl::string_view field;
};

// One row: the response type, the Rpc and the partner scope. A row whose
// request names a partner defines Named(request) too.
template <typename ResponseType, Rpc kRpcOfRow,
          PartnerScope kScopeOfRow = PartnerScope::kNone>
struct RpcRow {
  using Response = ResponseType;
  static constexpr Rpc kRpc = kRpcOfRow;
  static constexpr PartnerScope kScope = kScopeOfRow;
  template <typename Request>
  static NamedPartner Named(const Request&) {
    return {};
  }
};

// RpcOf<Request>: the row of the RPC that takes `Request`.
template <typename Request>
struct RpcOf;

template <typename Request>
using ResponseOf = typename RpcOf<Request>::Response;

// Checkout.
template <>
struct RpcOf<loyalty::v1::QuotePurchaseRequest>
    : RpcRow<loyalty::v1::QuotePurchaseResponse, Rpc::kQuotePurchase,
             PartnerScope::kActsFor> {
  static NamedPartner Named(const loyalty::v1::QuotePurchaseRequest& request) {
    return {request.purchase().partner_id(), "purchase.partner_id"};
  }
};
template <>
struct RpcOf<loyalty::v1::CommitPurchaseRequest>
    : RpcRow<loyalty::v1::CommitPurchaseResponse, Rpc::kCommitPurchase,
             PartnerScope::kActsFor> {
  static NamedPartner Named(const loyalty::v1::CommitPurchaseRequest& request) {
    return {request.purchase().partner_id(), "purchase.partner_id"};
  }
};
// A batch of sales: each purchase meets a partner-bound key as its own
// CommitPurchase would (call_path.h resolves every one, naming the field
// "purchases[i].purchase.partner_id"), and the call is confined to the
// key's partner. A row whose request carries a list of another RPC's
// requests names their type (Item), the list's field (kItems) and Items.
template <>
struct RpcOf<loyalty::v1::CommitPurchasesRequest>
    : RpcRow<loyalty::v1::CommitPurchasesResponse, Rpc::kCommitPurchases,
             PartnerScope::kActsFor> {
  using Item = loyalty::v1::CommitPurchaseRequest;
  static constexpr absl::string_view kItems = "purchases";
  static const google::protobuf::RepeatedPtrField<Item>& Items(
      const loyalty::v1::CommitPurchasesRequest& request) {
    return request.purchases();
  }
};
// A bound key refunds only its partner's orders.
template <>
struct RpcOf<loyalty::v1::RefundPurchaseRequest>
    : RpcRow<loyalty::v1::RefundPurchaseResponse, Rpc::kRefundPurchase,
             PartnerScope::kActsFor> {
  static NamedPartner Named(const loyalty::v1::RefundPurchaseRequest& request) {
    return {request.partner_id(), "partner_id"};
  }
};
template <>
struct RpcOf<loyalty::v1::RedeemRewardRequest>
    : RpcRow<loyalty::v1::RedeemRewardResponse, Rpc::kRedeemReward> {};

// Members. A bound key reads only its partner's purchases in a history.
template <>
struct RpcOf<loyalty::v1::EnrollMemberRequest>
    : RpcRow<loyalty::v1::EnrollMemberResponse, Rpc::kEnrollMember> {};
template <>
struct RpcOf<loyalty::v1::GetMemberRequest>
    : RpcRow<loyalty::v1::GetMemberResponse, Rpc::kGetMember> {};
template <>
struct RpcOf<loyalty::v1::GetBalanceRequest>
    : RpcRow<loyalty::v1::GetBalanceResponse, Rpc::kGetBalance> {};
template <>
struct RpcOf<loyalty::v1::ListEntriesRequest>
    : RpcRow<loyalty::v1::ListEntriesResponse, Rpc::kListEntries,
             PartnerScope::kNarrows> {};
// Members' data: no partner's data (a bound key reaches them by role only).
template <>
struct RpcOf<loyalty::v1::UpdateMemberRequest>
    : RpcRow<loyalty::v1::UpdateMemberResponse, Rpc::kUpdateMember> {};
template <>
struct RpcOf<loyalty::v1::SearchMembersRequest>
    : RpcRow<loyalty::v1::SearchMembersResponse, Rpc::kSearchMembers> {};
// A member's whole data and its erasure are the program's, not a partner's.
template <>
struct RpcOf<loyalty::v1::ExportMemberDataRequest>
    : RpcRow<loyalty::v1::ExportMemberDataResponse, Rpc::kExportMemberData,
             PartnerScope::kProgram> {};
template <>
struct RpcOf<loyalty::v1::EraseMemberRequest>
    : RpcRow<loyalty::v1::EraseMemberResponse, Rpc::kEraseMember,
             PartnerScope::kProgram> {};

// Program. A bound key changes and lists only its own partner, and leaves
// what belongs to the whole program alone.
template <>
struct RpcOf<loyalty::v1::ValidateRulesRequest>
    : RpcRow<loyalty::v1::ValidateRulesResponse, Rpc::kValidateRules> {};
template <>
struct RpcOf<loyalty::v1::LoadRulesRequest>
    : RpcRow<loyalty::v1::LoadRulesResponse, Rpc::kLoadRules,
             PartnerScope::kProgram> {};
template <>
struct RpcOf<loyalty::v1::GetRulesRequest>
    : RpcRow<loyalty::v1::GetRulesResponse, Rpc::kGetRules> {};
template <>
struct RpcOf<loyalty::v1::UpsertPartnerRequest>
    : RpcRow<loyalty::v1::UpsertPartnerResponse, Rpc::kUpsertPartner,
             PartnerScope::kActsFor> {
  static NamedPartner Named(const loyalty::v1::UpsertPartnerRequest& request) {
    return {request.partner_id(), "partner_id"};
  }
};
template <>
struct RpcOf<loyalty::v1::ListPartnersRequest>
    : RpcRow<loyalty::v1::ListPartnersResponse, Rpc::kListPartners,
             PartnerScope::kNarrows> {};
template <>
struct RpcOf<loyalty::v1::AdjustBalanceRequest>
    : RpcRow<loyalty::v1::AdjustBalanceResponse, Rpc::kAdjustBalance,
             PartnerScope::kProgram> {};
template <>
struct RpcOf<loyalty::v1::RecordFeedbackRequest>
    : RpcRow<loyalty::v1::RecordFeedbackResponse, Rpc::kRecordFeedback,
             PartnerScope::kActsFor> {
  static NamedPartner Named(const loyalty::v1::RecordFeedbackRequest& request) {
    return {request.feedback().partner_id(), "feedback.partner_id"};
  }
};
// A stream (simulate_service.cc); a bound key's figures count its partner's
// sales only.
template <>
struct RpcOf<loyalty::v1::SimulateRulesRequest>
    : RpcRow<loyalty::v1::SimulateRulesResponse, Rpc::kSimulateRules,
             PartnerScope::kNarrows> {};
// A stream (expiry_service.cc): admitted by the path, answered by its reactor.
template <>
struct RpcOf<loyalty::v1::RunExpiryRequest>
    : RpcRow<loyalty::v1::RunExpiryResponse, Rpc::kRunExpiry,
             PartnerScope::kProgram> {};
// A bound key creates only keys bound to its own partner: never a wider one.
template <>
struct RpcOf<loyalty::v1::CreateApiKeyRequest>
    : RpcRow<loyalty::v1::CreateApiKeyResponse, Rpc::kCreateApiKey,
             PartnerScope::kActsFor> {
  static NamedPartner Named(const loyalty::v1::CreateApiKeyRequest& request) {
    return {request.partner_id(), "partner_id"};
  }
};
template <>
struct RpcOf<loyalty::v1::ListApiKeysRequest>
    : RpcRow<loyalty::v1::ListApiKeysResponse, Rpc::kListApiKeys,
             PartnerScope::kNarrows> {};
// A bound key lists and revokes only the keys bound to its own partner (the
// handler checks the key it revokes).
template <>
struct RpcOf<loyalty::v1::RevokeApiKeyRequest>
    : RpcRow<loyalty::v1::RevokeApiKeyResponse, Rpc::kRevokeApiKey> {};

// Audit. A bound key exports and settles only its own partner's part; the
// program's figures and backups are not its.
// ExportLedger is a stream (audit_service.cc): admitted by the path,
// answered by its reactor.
template <>
struct RpcOf<loyalty::v1::ExportLedgerRequest>
    : RpcRow<loyalty::v1::ExportLedgerResponse, Rpc::kExportLedger,
             PartnerScope::kNarrows> {
  static NamedPartner Named(const loyalty::v1::ExportLedgerRequest& request) {
    return {request.partner_id(), "partner_id"};
  }
};
template <>
struct RpcOf<loyalty::v1::VerifyLedgerRequest>
    : RpcRow<loyalty::v1::VerifyLedgerResponse, Rpc::kVerifyLedger> {};
template <>
struct RpcOf<loyalty::v1::GetProgramMetricsRequest>
    : RpcRow<loyalty::v1::GetProgramMetricsResponse, Rpc::kGetProgramMetrics,
             PartnerScope::kProgram> {};
template <>
struct RpcOf<loyalty::v1::SettlePartnersRequest>
    : RpcRow<loyalty::v1::SettlePartnersResponse, Rpc::kSettlePartners,
             PartnerScope::kNarrows> {};
template <>
struct RpcOf<loyalty::v1::CreateBackupRequest>
    : RpcRow<loyalty::v1::CreateBackupResponse, Rpc::kCreateBackup,
             PartnerScope::kProgram> {};

// Events. A stream (events_service.cc): admitted by the path, answered by
// its reactor; a bound key sees only its partner's events.
template <>
struct RpcOf<loyalty::v1::WatchEventsRequest>
    : RpcRow<loyalty::v1::WatchEventsResponse, Rpc::kWatchEvents,
             PartnerScope::kNarrows> {
  static NamedPartner Named(const loyalty::v1::WatchEventsRequest& request) {
    return {request.partner_id(), "partner_id"};
  }
};

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_RPC_TABLE_H_

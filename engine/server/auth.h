// Who may call what. Every call passes Authorizer::Check on the one path of
// call_path.h (gRPC 1.51 interceptors cannot reject a call, and
// AuthMetadataProcessor crashes on insecure credentials, so the check is one
// shared step instead, which the coming doors use too).
//
// Callers send an API key in the `x-api-key` metadata: "lk_{key_id}_{secret}".
// The server keeps only the SHA-256 of each secret. A key has a role and may
// be bound to one partner; roles map to RPCs by the table in auth.cc:
//   pos, eshop  Checkout; EnrollMember, UpdateMember and the Members reads
//               (SearchMembers by card number or phone only)
//   marketing   Program (not the API keys)
//   auditor     Audit reads (export, verify, metrics, settlement) and the
//               event stream (Events.WatchEvents)
//   admin       everything, API keys, backups, ExportMemberData and
//               EraseMember included
// A partner-bound key acts only for its partner: it can price, commit and
// read only that partner's purchases (how each RPC meets such a key:
// PartnerScope in rpc_table.h).
#ifndef LOYALTY_ENGINE_SERVER_AUTH_H_
#define LOYALTY_ENGINE_SERVER_AUTH_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "loyalty/v1/program.pb.h"
#include "loyalty/v1/storage.pb.h"

namespace loyalty::server {

inline constexpr char kApiKeyHeader[] = "x-api-key";

// Every RPC the server serves, for the permission table.
enum class Rpc {
  kQuotePurchase,
  kCommitPurchase,
  kRefundPurchase,
  kRedeemReward,
  kEnrollMember,
  kGetMember,
  kGetBalance,
  kListEntries,
  kValidateRules,
  kLoadRules,
  kGetRules,
  kSimulateRules,
  kUpsertPartner,
  kAdjustBalance,
  kRecordFeedback,
  kRunExpiry,
  kCreateApiKey,
  kListApiKeys,
  kRevokeApiKey,
  kExportLedger,
  kVerifyLedger,
  kGetProgramMetrics,
  kSettlePartners,
  kCreateBackup,
  kListPartners,
  kCommitPurchases,
  kWatchEvents,
  kUpdateMember,
  kSearchMembers,
  kExportMemberData,
  kEraseMember,
};
// The enum's last entry (a loop over every RPC goes up to it): move it when
// an RPC is added.
inline constexpr Rpc kLastRpc = Rpc::kEraseMember;

const char* RpcName(Rpc rpc);
bool RoleMayCall(loyalty::v1::Role role, Rpc rpc);
// Members.SearchMembers by `field` (email, phone, card_number, name_prefix):
// pos and eshop keys by card_number and phone only, admin by any.
bool RoleMaySearchBy(loyalty::v1::Role role, absl::string_view field);

// The authenticated caller of one call.
struct Caller {
  loyalty::v1::Role role = loyalty::v1::ROLE_UNSPECIFIED;
  std::string key_id;
  std::string partner_id;  // empty: not bound to a partner
};

// A fresh key: the record to store and the text to hand to its owner once.
struct NewApiKey {
  loyalty::v1::ApiKeyRecord record;
  std::string api_key;
};
NewApiKey GenerateApiKey(loyalty::v1::Role role, std::string name,
                         std::string partner_id);

// The keys the server accepts. Thread-safe.
class KeyRing {
 public:
  // Adds or replaces a key (a revoked record replaces the live one).
  void Put(const loyalty::v1::ApiKeyRecord& record);
  // The caller a key belongs to; UNAUTHENTICATED for an unknown, malformed
  // or revoked key.
  absl::StatusOr<Caller> Authenticate(absl::string_view api_key) const;
  std::vector<loyalty::v1::ApiKeyRecord> List() const;

 private:
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, loyalty::v1::ApiKeyRecord> keys_
      ABSL_GUARDED_BY(mu_);
};

class Authorizer {
 public:
  // With require_keys false (local development only) every call is admin.
  Authorizer(const KeyRing* keys, bool require_keys)
      : keys_(keys), require_keys_(require_keys) {}

  // The caller presenting `api_key` (nullopt: the call sent none), if it may
  // call `rpc`: UNAUTHENTICATED without a valid key, PERMISSION_DENIED when
  // its role may not.
  absl::StatusOr<Caller> Check(const std::optional<std::string>& api_key,
                               Rpc rpc) const;

 private:
  const KeyRing* keys_;
  bool require_keys_;
};

// PERMISSION_DENIED unless `caller` may act for `partner_id`.
absl::Status CheckPartner(const Caller& caller, absl::string_view partner_id,
                          absl::string_view field);

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_AUTH_H_

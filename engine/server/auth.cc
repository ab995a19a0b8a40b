#include "engine/server/auth.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/base/error.h"
#include "engine/base/sha256.h"

namespace loyalty::server {
namespace {

using loyalty::v1::Role;

constexpr int kKeyIdBytes = 6;
constexpr int kSecretBytes = 24;

std::string RandomHex(int bytes) {
  std::string raw(bytes, '\0');
  // RAND_bytes only fails when the system has no entropy source at all.
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), bytes) != 1) {
    std::abort();
  }
  return HexEncode(raw);
}

bool IsCheckout(Rpc rpc) {
  return rpc == Rpc::kQuotePurchase || rpc == Rpc::kCommitPurchase ||
         rpc == Rpc::kCommitPurchases || rpc == Rpc::kRefundPurchase ||
         rpc == Rpc::kRedeemReward;
}

bool IsMembers(Rpc rpc) {
  return rpc == Rpc::kEnrollMember || rpc == Rpc::kGetMember ||
         rpc == Rpc::kGetBalance || rpc == Rpc::kListEntries ||
         rpc == Rpc::kUpdateMember || rpc == Rpc::kSearchMembers;
}

bool IsAuditRead(Rpc rpc) {
  return rpc == Rpc::kExportLedger || rpc == Rpc::kVerifyLedger ||
         rpc == Rpc::kGetProgramMetrics || rpc == Rpc::kSettlePartners ||
         rpc == Rpc::kWatchEvents;
}

bool IsAdminOnly(Rpc rpc) {
  return rpc == Rpc::kCreateApiKey || rpc == Rpc::kListApiKeys ||
         rpc == Rpc::kRevokeApiKey || rpc == Rpc::kCreateBackup ||
         rpc == Rpc::kExportMemberData || rpc == Rpc::kEraseMember;
}

absl::Status Unauthenticated(absl::string_view text) {
  return MakeError(absl::StatusCode::kUnauthenticated, "INVALID_API_KEY",
                   kApiKeyHeader, text);
}

}  // namespace

const char* RpcName(Rpc rpc) {
  static const char* const kNames[] = {
      "QuotePurchase", "CommitPurchase",    "RefundPurchase", "RedeemReward",
      "EnrollMember",  "GetMember",         "GetBalance",     "ListEntries",
      "ValidateRules", "LoadRules",         "GetRules",       "SimulateRules",
      "UpsertPartner", "AdjustBalance",     "RecordFeedback", "RunExpiry",
      "CreateApiKey",  "ListApiKeys",       "RevokeApiKey",   "ExportLedger",
      "VerifyLedger",  "GetProgramMetrics", "SettlePartners", "CreateBackup",
      "ListPartners",  "CommitPurchases",   "WatchEvents",    "UpdateMember",
      "SearchMembers", "ExportMemberData",  "EraseMember"};
  static_assert(
      sizeof(kNames) / sizeof(kNames[0]) == static_cast<int>(kLastRpc) + 1,
      "a name for every RPC, kLastRpc the last");
  return kNames[static_cast<int>(rpc)];
}

bool RoleMayCall(Role role, Rpc rpc) {
  switch (role) {
    case loyalty::v1::ROLE_ADMIN:
      return true;
    case loyalty::v1::ROLE_POS:
    case loyalty::v1::ROLE_ESHOP:
      return IsCheckout(rpc) || IsMembers(rpc);
    case loyalty::v1::ROLE_MARKETING:
      return !IsCheckout(rpc) && !IsMembers(rpc) && !IsAuditRead(rpc) &&
             !IsAdminOnly(rpc);
    case loyalty::v1::ROLE_AUDITOR:
      return IsAuditRead(rpc);
    default:
      return false;
  }
}

bool RoleMaySearchBy(Role role, absl::string_view field) {
  if (role == loyalty::v1::ROLE_ADMIN) return true;
  return RoleMayCall(role, Rpc::kSearchMembers) &&
         (field == "card_number" || field == "phone");
}

NewApiKey GenerateApiKey(Role role, std::string name, std::string partner_id) {
  NewApiKey key;
  const std::string key_id = RandomHex(kKeyIdBytes);
  const std::string secret = RandomHex(kSecretBytes);
  key.record.set_key_id(key_id);
  key.record.set_secret_sha256(Sha256(secret));
  key.record.set_name(std::move(name));
  key.record.set_role(role);
  key.record.set_partner_id(std::move(partner_id));
  key.api_key = absl::StrCat("lk_", key_id, "_", secret);
  return key;
}

void KeyRing::Put(const loyalty::v1::ApiKeyRecord& record) {
  absl::MutexLock lock(&mu_);
  keys_[record.key_id()] = record;
}

std::vector<loyalty::v1::ApiKeyRecord> KeyRing::List() const {
  absl::MutexLock lock(&mu_);
  std::vector<loyalty::v1::ApiKeyRecord> keys;
  for (const auto& [id, record] : keys_) keys.push_back(record);
  std::sort(keys.begin(), keys.end(), [](const auto& a, const auto& b) {
    return a.key_id() < b.key_id();
  });
  return keys;
}

absl::StatusOr<Caller> KeyRing::Authenticate(absl::string_view api_key) const {
  std::vector<std::string> parts = absl::StrSplit(api_key, '_');
  if (parts.size() != 3 || parts[0] != "lk") {
    return Unauthenticated("send an API key of the form lk_{id}_{secret}");
  }
  loyalty::v1::ApiKeyRecord record;
  {
    absl::MutexLock lock(&mu_);
    auto it = keys_.find(parts[1]);
    if (it == keys_.end()) return Unauthenticated("unknown API key");
    record = it->second;
  }
  const std::string digest = Sha256(parts[2]);
  if (digest.size() != record.secret_sha256().size() ||
      CRYPTO_memcmp(digest.data(), record.secret_sha256().data(),
                    digest.size()) != 0) {
    return Unauthenticated("unknown API key");
  }
  if (record.revoked()) return Unauthenticated("this API key was revoked");
  return Caller{static_cast<Role>(record.role()), record.key_id(),
                record.partner_id()};
}

absl::StatusOr<Caller> Authorizer::Check(
    const std::optional<std::string>& api_key, Rpc rpc) const {
  if (!require_keys_) return Caller{loyalty::v1::ROLE_ADMIN, "", ""};
  if (!api_key.has_value()) {
    return Unauthenticated("this server needs an API key in x-api-key");
  }
  absl::StatusOr<Caller> caller = keys_->Authenticate(*api_key);
  if (!caller.ok()) return caller.status();
  if (!RoleMayCall(caller->role, rpc)) {
    return MakeError(absl::StatusCode::kPermissionDenied, "ROLE_NOT_ALLOWED",
                     kApiKeyHeader,
                     absl::StrCat("role ", loyalty::v1::Role_Name(caller->role),
                                  " may not call ", RpcName(rpc)));
  }
  return caller;
}

absl::Status CheckPartner(const Caller& caller, absl::string_view partner_id,
                          absl::string_view field) {
  if (caller.partner_id.empty() || caller.partner_id == partner_id) {
    return absl::OkStatus();
  }
  return MakeError(absl::StatusCode::kPermissionDenied, "PARTNER_SCOPE", field,
                   absl::StrCat("this key acts only for partner '",
                                caller.partner_id, "'"));
}

}  // namespace loyalty::server

#include "engine/server/services.h"

#include <algorithm>
#include <utility>

#include "absl/time/time.h"
#include "engine/base/error.h"
#include "engine/base/time_util.h"
#include "engine/server/call_log.h"
#include "engine/base/limits.h"
#include "engine/server/grpc_status.h"

namespace loyalty::server {
namespace {

// The reactor of a unary call whose caller was checked: finished at once
// with the refusal when the check failed (then `caller` is not ok); and the
// call's log.
struct Checked {
  grpc::ServerUnaryReactor* reactor;
  absl::StatusOr<Caller> caller;
  CallLog log;
};

// Finishes the call with `status`, logging it when it failed.
void Finish(const Checked& checked, const absl::Status& status) {
  checked.log.Failure(status);
  checked.reactor->Finish(ToGrpcStatus(status));
}

template <typename Request>
Checked Check(grpc::CallbackServerContext* context,
              const ServiceContext& services, Rpc rpc, const Request& request) {
  absl::StatusOr<Caller> caller = services.authorizer->Check(*context, rpc);
  CallLog log = CallLog::Of(services.logger, rpc, *context, caller, request);
  Checked checked{context->DefaultReactor(), std::move(caller), std::move(log)};
  // The caller first (an unknown caller learns nothing of the limits), then
  // the request's sizes (engine/base/limits.h).
  if (checked.caller.ok()) {
    absl::Status limits = CheckRequestLimits(request);
    if (!limits.ok()) checked.caller = limits;
  }
  if (!checked.caller.ok()) Finish(checked, checked.caller.status());
  return checked;
}

// Check, plus: the caller may act for `partner_id`, named by `field`.
template <typename Request>
Checked CheckScoped(grpc::CallbackServerContext* context,
                    const ServiceContext& services, Rpc rpc,
                    const Request& request, absl::string_view partner_id,
                    absl::string_view field) {
  Checked checked = Check(context, services, rpc, request);
  if (!checked.caller.ok()) return checked;
  absl::Status scope = CheckPartner(*checked.caller, partner_id, field);
  if (!scope.ok()) {
    Finish(checked, scope);
    checked.caller = scope;
  }
  return checked;
}

// The caller's deadline, for writes that wait in the ledger's queue.
absl::Time DeadlineOf(const grpc::CallbackServerContext& context) {
  return absl::FromChrono(context.deadline());
}

template <typename Response>
void FinishWith(const Checked& checked, absl::StatusOr<Response> result,
                Response* response) {
  if (result.ok()) *response = *std::move(result);
  Finish(checked, result.status());
}

// A reply that finishes the call when a write's answer arrives.
template <typename Response>
program::Reply<Response> FinishLater(const Checked& checked, Response* response) {
  return [checked, response](absl::StatusOr<Response> result) {
    FinishWith(checked, std::move(result), response);
  };
}

}  // namespace

loyalty::v1::ApiKey ApiKeyOf(const loyalty::v1::ApiKeyRecord& record) {
  loyalty::v1::ApiKey key;
  key.set_key_id(record.key_id());
  key.set_name(record.name());
  key.set_role(static_cast<loyalty::v1::Role>(record.role()));
  key.set_partner_id(record.partner_id());
  key.set_revoked(record.revoked());
  *key.mutable_create_time() = record.create_time();
  return key;
}

grpc::ServerUnaryReactor* CheckoutService::QuotePurchase(
    grpc::CallbackServerContext* context,
    const loyalty::v1::QuotePurchaseRequest* request,
    loyalty::v1::QuotePurchaseResponse* response) {
  Checked checked = CheckScoped(context, services_, Rpc::kQuotePurchase, *request,
                                request->purchase().partner_id(), "purchase.partner_id");
  if (!checked.caller.ok()) return checked.reactor;
  FinishWith(checked, services_.operations->QuotePurchase(*request),
             response);
  return checked.reactor;
}

grpc::ServerUnaryReactor* CheckoutService::CommitPurchase(
    grpc::CallbackServerContext* context,
    const loyalty::v1::CommitPurchaseRequest* request,
    loyalty::v1::CommitPurchaseResponse* response) {
  Checked checked = CheckScoped(context, services_, Rpc::kCommitPurchase, *request,
                                request->purchase().partner_id(), "purchase.partner_id");
  if (!checked.caller.ok()) return checked.reactor;
  services_.operations->CommitPurchase(*request,
                                       FinishLater(checked, response),
                                       DeadlineOf(*context));
  return checked.reactor;
}

grpc::ServerUnaryReactor* CheckoutService::RefundPurchase(
    grpc::CallbackServerContext* context,
    const loyalty::v1::RefundPurchaseRequest* request,
    loyalty::v1::RefundPurchaseResponse* response) {
  // A partner-bound key refunds only that partner's orders.
  Checked checked = CheckScoped(context, services_, Rpc::kRefundPurchase, *request,
                                request->partner_id(), "partner_id");
  if (!checked.caller.ok()) return checked.reactor;
  services_.operations->RefundPurchase(*request,
                                       FinishLater(checked, response),
                                       DeadlineOf(*context));
  return checked.reactor;
}

grpc::ServerUnaryReactor* CheckoutService::RedeemReward(
    grpc::CallbackServerContext* context,
    const loyalty::v1::RedeemRewardRequest* request,
    loyalty::v1::RedeemRewardResponse* response) {
  Checked checked = Check(context, services_, Rpc::kRedeemReward, *request);
  if (!checked.caller.ok()) return checked.reactor;
  services_.operations->RedeemReward(*request,
                                     FinishLater(checked, response),
                                     DeadlineOf(*context));
  return checked.reactor;
}

grpc::ServerUnaryReactor* MembersService::EnrollMember(
    grpc::CallbackServerContext* context,
    const loyalty::v1::EnrollMemberRequest* request,
    loyalty::v1::EnrollMemberResponse* response) {
  Checked checked = Check(context, services_, Rpc::kEnrollMember, *request);
  if (!checked.caller.ok()) return checked.reactor;
  services_.operations->EnrollMember(*request,
                                     FinishLater(checked, response),
                                     DeadlineOf(*context));
  return checked.reactor;
}

grpc::ServerUnaryReactor* MembersService::GetMember(
    grpc::CallbackServerContext* context,
    const loyalty::v1::GetMemberRequest* request,
    loyalty::v1::GetMemberResponse* response) {
  Checked checked = Check(context, services_, Rpc::kGetMember, *request);
  if (!checked.caller.ok()) return checked.reactor;
  FinishWith(checked, services_.operations->GetMember(*request), response);
  return checked.reactor;
}

grpc::ServerUnaryReactor* MembersService::GetBalance(
    grpc::CallbackServerContext* context,
    const loyalty::v1::GetBalanceRequest* request,
    loyalty::v1::GetBalanceResponse* response) {
  Checked checked = Check(context, services_, Rpc::kGetBalance, *request);
  if (!checked.caller.ok()) return checked.reactor;
  FinishWith(checked, services_.operations->GetBalance(*request), response);
  return checked.reactor;
}

grpc::ServerUnaryReactor* MembersService::ListEntries(
    grpc::CallbackServerContext* context,
    const loyalty::v1::ListEntriesRequest* request,
    loyalty::v1::ListEntriesResponse* response) {
  Checked checked = Check(context, services_, Rpc::kListEntries, *request);
  if (!checked.caller.ok()) return checked.reactor;
  // A partner-bound key reads only that partner's purchases.
  FinishWith(checked,
             services_.operations->ListEntries(*request, checked.caller->partner_id),
             response);
  return checked.reactor;
}

grpc::ServerUnaryReactor* ProgramService::AdjustBalance(
    grpc::CallbackServerContext* context,
    const loyalty::v1::AdjustBalanceRequest* request,
    loyalty::v1::AdjustBalanceResponse* response) {
  Checked checked = Check(context, services_, Rpc::kAdjustBalance, *request);
  if (!checked.caller.ok()) return checked.reactor;
  services_.operations->AdjustBalance(*request, FinishLater(checked, response));
  return checked.reactor;
}

grpc::ServerUnaryReactor* ProgramService::RecordFeedback(
    grpc::CallbackServerContext* context,
    const loyalty::v1::RecordFeedbackRequest* request,
    loyalty::v1::RecordFeedbackResponse* response) {
  Checked checked = Check(context, services_, Rpc::kRecordFeedback, *request);
  if (!checked.caller.ok()) return checked.reactor;
  services_.operations->RecordFeedback(*request,
                                       FinishLater(checked, response));
  return checked.reactor;
}

grpc::ServerUnaryReactor* ProgramService::ValidateRules(
    grpc::CallbackServerContext* context,
    const loyalty::v1::ValidateRulesRequest* request,
    loyalty::v1::ValidateRulesResponse* response) {
  Checked checked = Check(context, services_, Rpc::kValidateRules, *request);
  if (!checked.caller.ok()) return checked.reactor;
  auto validated = services_.operations->ValidateRules(*request);
  if (validated.ok()) {
    *response = *std::move(validated);
    checked.log.Event(LogLevel::kInfo, "rules_validated",
                      {{"file", request->file_name()},
                       {"version", response->version()},
                       {"problems", response->problems_size()}});
  }
  Finish(checked, validated.status());
  return checked.reactor;
}

grpc::ServerUnaryReactor* ProgramService::LoadRules(
    grpc::CallbackServerContext* context,
    const loyalty::v1::LoadRulesRequest* request,
    loyalty::v1::LoadRulesResponse* response) {
  Checked checked = Check(context, services_, Rpc::kLoadRules, *request);
  if (!checked.caller.ok()) return checked.reactor;
  services_.operations->LoadRules(
      *request, [checked, response](absl::StatusOr<loyalty::v1::LoadRulesResponse> loaded) {
        if (loaded.ok()) {
          const loyalty::v1::RuleSetVersion& version = loaded->version();
          checked.log.Event(LogLevel::kInfo, "rules_loaded",
                            {{"file", version.source_name()},
                             {"version", version.version()},
                             {"activation_time", absl::FormatTime(
                                                 "%Y-%m-%dT%H:%M:%SZ",
                                                 FromTimestamp(version.activation_time()),
                                                 absl::UTCTimeZone())}});
        }
        FinishWith(checked, std::move(loaded), response);
      });
  return checked.reactor;
}

grpc::ServerUnaryReactor* ProgramService::GetRules(
    grpc::CallbackServerContext* context,
    const loyalty::v1::GetRulesRequest* request,
    loyalty::v1::GetRulesResponse* response) {
  Checked checked = Check(context, services_, Rpc::kGetRules, *request);
  if (!checked.caller.ok()) return checked.reactor;
  FinishWith(checked, services_.operations->GetRules(*request), response);
  return checked.reactor;
}

grpc::ServerUnaryReactor* ProgramService::CreateApiKey(
    grpc::CallbackServerContext* context,
    const loyalty::v1::CreateApiKeyRequest* request,
    loyalty::v1::CreateApiKeyResponse* response) {
  Checked checked = Check(context, services_, Rpc::kCreateApiKey, *request);
  if (!checked.caller.ok()) return checked.reactor;
  if (!loyalty::v1::Role_IsValid(request->role()) ||
      request->role() == loyalty::v1::ROLE_UNSPECIFIED) {
    Finish(checked, InvalidArgument("MISSING_FIELD", "role",
                                    "choose pos, eshop, marketing, auditor or admin"));
    return checked.reactor;
  }
  NewApiKey key = GenerateApiKey(request->role(), request->name(),
                                 request->partner_id());
  services_.operations->CreateApiKeyRecord(
      request->request_id(), *request, key.record,
      [this, checked, response, secret = key.api_key,
       key_id = key.record.key_id()](
          absl::StatusOr<loyalty::v1::ApiKeyRecord> stored) {
        if (stored.ok()) {
          services_.keys->Put(*stored);
          *response->mutable_key() = ApiKeyOf(*stored);
          // A retry answered from the first call's record has another key
          // id: the secret shown then cannot be shown again.
          if (stored->key_id() == key_id) response->set_api_key(secret);
          checked.log.Event(LogLevel::kInfo, "api_key_created",
                            {{"new_key_id", stored->key_id()},
                             {"role", loyalty::v1::Role_Name(stored->role())},
                             {"partner_id", stored->partner_id()}});
        }
        Finish(checked, stored.status());
      });
  return checked.reactor;
}

grpc::ServerUnaryReactor* ProgramService::ListApiKeys(
    grpc::CallbackServerContext* context,
    const loyalty::v1::ListApiKeysRequest* request,
    loyalty::v1::ListApiKeysResponse* response) {
  Checked checked = Check(context, services_, Rpc::kListApiKeys, *request);
  if (!checked.caller.ok()) return checked.reactor;
  for (const auto& record : services_.keys->List()) {
    *response->add_keys() = ApiKeyOf(record);
  }
  Finish(checked, absl::OkStatus());
  return checked.reactor;
}

grpc::ServerUnaryReactor* ProgramService::RevokeApiKey(
    grpc::CallbackServerContext* context,
    const loyalty::v1::RevokeApiKeyRequest* request,
    loyalty::v1::RevokeApiKeyResponse* response) {
  Checked checked = Check(context, services_, Rpc::kRevokeApiKey, *request);
  if (!checked.caller.ok()) return checked.reactor;
  services_.operations->RevokeApiKeyRecord(
      *request, [this, checked,
                 response](absl::StatusOr<loyalty::v1::ApiKeyRecord> stored) {
        if (stored.ok()) {
          services_.keys->Put(*stored);
          *response->mutable_key() = ApiKeyOf(*stored);
          checked.log.Event(LogLevel::kInfo, "api_key_revoked",
                            {{"revoked_key_id", stored->key_id()}});
        }
        Finish(checked, stored.status());
      });
  return checked.reactor;
}

grpc::ServerUnaryReactor* ProgramService::UpsertPartner(
    grpc::CallbackServerContext* context,
    const loyalty::v1::UpsertPartnerRequest* request,
    loyalty::v1::UpsertPartnerResponse* response) {
  // A partner-bound key changes only its own partner.
  Checked checked = CheckScoped(context, services_, Rpc::kUpsertPartner, *request,
                                request->partner_id(), "partner_id");
  if (!checked.caller.ok()) return checked.reactor;
  services_.operations->UpsertPartner(*request, FinishLater(checked, response));
  return checked.reactor;
}

grpc::ServerUnaryReactor* ProgramService::ListPartners(
    grpc::CallbackServerContext* context,
    const loyalty::v1::ListPartnersRequest* request,
    loyalty::v1::ListPartnersResponse* response) {
  Checked checked = Check(context, services_, Rpc::kListPartners, *request);
  if (!checked.caller.ok()) return checked.reactor;
  auto listed = services_.operations->ListPartners();
  if (listed.ok() && !checked.caller->partner_id.empty()) {
    auto* partners = listed->mutable_partners();
    partners->erase(std::remove_if(partners->begin(), partners->end(),
                                   [&](const loyalty::v1::Partner& partner) {
                                     return partner.partner_id() !=
                                            checked.caller->partner_id;
                                   }),
                    partners->end());
  }
  FinishWith(checked, std::move(listed), response);
  return checked.reactor;
}

}  // namespace loyalty::server

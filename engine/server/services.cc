#include "engine/server/services.h"

#include <algorithm>
#include <utility>

#include "absl/time/time.h"
#include "engine/base/error.h"
#include "engine/server/grpc_status.h"

namespace loyalty::server {
namespace {

// The reactor of a unary call whose caller was checked: finished at once
// with the refusal when the check failed (then `caller` is not ok).
struct Checked {
  grpc::ServerUnaryReactor* reactor;
  absl::StatusOr<Caller> caller;
};

Checked Check(grpc::CallbackServerContext* context,
              const ServiceContext& services, Rpc rpc) {
  Checked checked{context->DefaultReactor(),
                  services.authorizer->Check(*context, rpc)};
  if (!checked.caller.ok()) {
    checked.reactor->Finish(ToGrpcStatus(checked.caller.status()));
  }
  return checked;
}

// Check, plus: the caller may act for the purchase's partner.
Checked CheckPurchase(grpc::CallbackServerContext* context,
                      const ServiceContext& services, Rpc rpc,
                      const loyalty::v1::Purchase& purchase) {
  Checked checked = Check(context, services, rpc);
  if (!checked.caller.ok()) return checked;
  absl::Status scope = CheckPartner(*checked.caller, purchase.partner_id(),
                                    "purchase.partner_id");
  if (!scope.ok()) {
    checked.reactor->Finish(ToGrpcStatus(scope));
    checked.caller = scope;
  }
  return checked;
}

// The caller's deadline, for writes that wait in the ledger's queue.
absl::Time DeadlineOf(const grpc::CallbackServerContext& context) {
  return absl::FromChrono(context.deadline());
}

template <typename Response>
void FinishWith(grpc::ServerUnaryReactor* reactor,
                absl::StatusOr<Response> result, Response* response) {
  if (result.ok()) *response = *std::move(result);
  reactor->Finish(ToGrpcStatus(result.status()));
}

// A reply that finishes the call when a write's answer arrives.
template <typename Response>
program::Reply<Response> FinishLater(grpc::ServerUnaryReactor* reactor,
                                     Response* response) {
  return [reactor, response](absl::StatusOr<Response> result) {
    FinishWith(reactor, std::move(result), response);
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
  Checked checked = CheckPurchase(context, services_, Rpc::kQuotePurchase,
                                  request->purchase());
  if (!checked.caller.ok()) return checked.reactor;
  FinishWith(checked.reactor, services_.operations->QuotePurchase(*request),
             response);
  return checked.reactor;
}

grpc::ServerUnaryReactor* CheckoutService::CommitPurchase(
    grpc::CallbackServerContext* context,
    const loyalty::v1::CommitPurchaseRequest* request,
    loyalty::v1::CommitPurchaseResponse* response) {
  Checked checked = CheckPurchase(context, services_, Rpc::kCommitPurchase,
                                  request->purchase());
  if (!checked.caller.ok()) return checked.reactor;
  services_.operations->CommitPurchase(*request,
                                       FinishLater(checked.reactor, response),
                                       DeadlineOf(*context));
  return checked.reactor;
}

grpc::ServerUnaryReactor* CheckoutService::RefundPurchase(
    grpc::CallbackServerContext* context,
    const loyalty::v1::RefundPurchaseRequest* request,
    loyalty::v1::RefundPurchaseResponse* response) {
  Checked checked = Check(context, services_, Rpc::kRefundPurchase);
  if (!checked.caller.ok()) return checked.reactor;
  // A partner-bound key refunds only that partner's orders.
  absl::Status scope =
      CheckPartner(*checked.caller, request->partner_id(), "partner_id");
  if (!scope.ok()) {
    checked.reactor->Finish(ToGrpcStatus(scope));
    return checked.reactor;
  }
  services_.operations->RefundPurchase(*request,
                                       FinishLater(checked.reactor, response),
                                       DeadlineOf(*context));
  return checked.reactor;
}

grpc::ServerUnaryReactor* CheckoutService::RedeemReward(
    grpc::CallbackServerContext* context,
    const loyalty::v1::RedeemRewardRequest* request,
    loyalty::v1::RedeemRewardResponse* response) {
  Checked checked = Check(context, services_, Rpc::kRedeemReward);
  if (!checked.caller.ok()) return checked.reactor;
  services_.operations->RedeemReward(*request,
                                     FinishLater(checked.reactor, response),
                                     DeadlineOf(*context));
  return checked.reactor;
}

grpc::ServerUnaryReactor* MembersService::EnrollMember(
    grpc::CallbackServerContext* context,
    const loyalty::v1::EnrollMemberRequest* request,
    loyalty::v1::EnrollMemberResponse* response) {
  Checked checked = Check(context, services_, Rpc::kEnrollMember);
  if (!checked.caller.ok()) return checked.reactor;
  services_.operations->EnrollMember(*request,
                                     FinishLater(checked.reactor, response),
                                     DeadlineOf(*context));
  return checked.reactor;
}

grpc::ServerUnaryReactor* MembersService::GetMember(
    grpc::CallbackServerContext* context,
    const loyalty::v1::GetMemberRequest* request,
    loyalty::v1::GetMemberResponse* response) {
  Checked checked = Check(context, services_, Rpc::kGetMember);
  if (!checked.caller.ok()) return checked.reactor;
  FinishWith(checked.reactor, services_.operations->GetMember(*request), response);
  return checked.reactor;
}

grpc::ServerUnaryReactor* MembersService::GetBalance(
    grpc::CallbackServerContext* context,
    const loyalty::v1::GetBalanceRequest* request,
    loyalty::v1::GetBalanceResponse* response) {
  Checked checked = Check(context, services_, Rpc::kGetBalance);
  if (!checked.caller.ok()) return checked.reactor;
  FinishWith(checked.reactor, services_.operations->GetBalance(*request), response);
  return checked.reactor;
}

grpc::ServerUnaryReactor* MembersService::ListEntries(
    grpc::CallbackServerContext* context,
    const loyalty::v1::ListEntriesRequest* request,
    loyalty::v1::ListEntriesResponse* response) {
  Checked checked = Check(context, services_, Rpc::kListEntries);
  if (!checked.caller.ok()) return checked.reactor;
  // A partner-bound key reads only that partner's purchases.
  FinishWith(checked.reactor,
             services_.operations->ListEntries(*request, checked.caller->partner_id),
             response);
  return checked.reactor;
}

grpc::ServerUnaryReactor* ProgramService::AdjustBalance(
    grpc::CallbackServerContext* context,
    const loyalty::v1::AdjustBalanceRequest* request,
    loyalty::v1::AdjustBalanceResponse* response) {
  Checked checked = Check(context, services_, Rpc::kAdjustBalance);
  if (!checked.caller.ok()) return checked.reactor;
  services_.operations->AdjustBalance(*request, FinishLater(checked.reactor, response));
  return checked.reactor;
}

grpc::ServerUnaryReactor* ProgramService::RecordFeedback(
    grpc::CallbackServerContext* context,
    const loyalty::v1::RecordFeedbackRequest* request,
    loyalty::v1::RecordFeedbackResponse* response) {
  Checked checked = Check(context, services_, Rpc::kRecordFeedback);
  if (!checked.caller.ok()) return checked.reactor;
  services_.operations->RecordFeedback(*request,
                                       FinishLater(checked.reactor, response));
  return checked.reactor;
}

grpc::ServerUnaryReactor* ProgramService::ValidateRules(
    grpc::CallbackServerContext* context,
    const loyalty::v1::ValidateRulesRequest* request,
    loyalty::v1::ValidateRulesResponse* response) {
  Checked checked = Check(context, services_, Rpc::kValidateRules);
  if (!checked.caller.ok()) return checked.reactor;
  auto validated = services_.operations->ValidateRules(*request);
  if (validated.ok()) *response = *std::move(validated);
  checked.reactor->Finish(ToGrpcStatus(validated.status()));
  return checked.reactor;
}

grpc::ServerUnaryReactor* ProgramService::LoadRules(
    grpc::CallbackServerContext* context,
    const loyalty::v1::LoadRulesRequest* request,
    loyalty::v1::LoadRulesResponse* response) {
  Checked checked = Check(context, services_, Rpc::kLoadRules);
  if (!checked.caller.ok()) return checked.reactor;
  services_.operations->LoadRules(*request, FinishLater(checked.reactor, response));
  return checked.reactor;
}

grpc::ServerUnaryReactor* ProgramService::GetRules(
    grpc::CallbackServerContext* context,
    const loyalty::v1::GetRulesRequest* request,
    loyalty::v1::GetRulesResponse* response) {
  Checked checked = Check(context, services_, Rpc::kGetRules);
  if (!checked.caller.ok()) return checked.reactor;
  FinishWith(checked.reactor, services_.operations->GetRules(*request), response);
  return checked.reactor;
}

grpc::ServerUnaryReactor* ProgramService::CreateApiKey(
    grpc::CallbackServerContext* context,
    const loyalty::v1::CreateApiKeyRequest* request,
    loyalty::v1::CreateApiKeyResponse* response) {
  Checked checked = Check(context, services_, Rpc::kCreateApiKey);
  if (!checked.caller.ok()) return checked.reactor;
  if (!loyalty::v1::Role_IsValid(request->role()) ||
      request->role() == loyalty::v1::ROLE_UNSPECIFIED) {
    checked.reactor->Finish(ToGrpcStatus(InvalidArgument(
        "MISSING_FIELD", "role", "choose pos, eshop, marketing, auditor or admin")));
    return checked.reactor;
  }
  NewApiKey key = GenerateApiKey(request->role(), request->name(),
                                 request->partner_id());
  services_.operations->CreateApiKeyRecord(
      request->request_id(), *request, key.record,
      [this, reactor = checked.reactor, response, secret = key.api_key,
       key_id = key.record.key_id()](
          absl::StatusOr<loyalty::v1::ApiKeyRecord> stored) {
        if (stored.ok()) {
          services_.keys->Put(*stored);
          *response->mutable_key() = ApiKeyOf(*stored);
          // A retry answered from the first call's record has another key
          // id: the secret shown then cannot be shown again.
          if (stored->key_id() == key_id) response->set_api_key(secret);
        }
        reactor->Finish(ToGrpcStatus(stored.status()));
      });
  return checked.reactor;
}

grpc::ServerUnaryReactor* ProgramService::ListApiKeys(
    grpc::CallbackServerContext* context,
    const loyalty::v1::ListApiKeysRequest* /*request*/,
    loyalty::v1::ListApiKeysResponse* response) {
  Checked checked = Check(context, services_, Rpc::kListApiKeys);
  if (!checked.caller.ok()) return checked.reactor;
  for (const auto& record : services_.keys->List()) {
    *response->add_keys() = ApiKeyOf(record);
  }
  checked.reactor->Finish(grpc::Status::OK);
  return checked.reactor;
}

grpc::ServerUnaryReactor* ProgramService::RevokeApiKey(
    grpc::CallbackServerContext* context,
    const loyalty::v1::RevokeApiKeyRequest* request,
    loyalty::v1::RevokeApiKeyResponse* response) {
  Checked checked = Check(context, services_, Rpc::kRevokeApiKey);
  if (!checked.caller.ok()) return checked.reactor;
  services_.operations->RevokeApiKeyRecord(
      *request, [this, reactor = checked.reactor,
                 response](absl::StatusOr<loyalty::v1::ApiKeyRecord> stored) {
        if (stored.ok()) {
          services_.keys->Put(*stored);
          *response->mutable_key() = ApiKeyOf(*stored);
        }
        reactor->Finish(ToGrpcStatus(stored.status()));
      });
  return checked.reactor;
}

grpc::ServerUnaryReactor* ProgramService::UpsertPartner(
    grpc::CallbackServerContext* context,
    const loyalty::v1::UpsertPartnerRequest* request,
    loyalty::v1::UpsertPartnerResponse* response) {
  Checked checked = Check(context, services_, Rpc::kUpsertPartner);
  if (!checked.caller.ok()) return checked.reactor;
  // A partner-bound key changes only its own partner.
  absl::Status scope =
      CheckPartner(*checked.caller, request->partner_id(), "partner_id");
  if (!scope.ok()) {
    checked.reactor->Finish(ToGrpcStatus(scope));
    return checked.reactor;
  }
  services_.operations->UpsertPartner(*request, FinishLater(checked.reactor, response));
  return checked.reactor;
}

grpc::ServerUnaryReactor* ProgramService::ListPartners(
    grpc::CallbackServerContext* context,
    const loyalty::v1::ListPartnersRequest* /*request*/,
    loyalty::v1::ListPartnersResponse* response) {
  Checked checked = Check(context, services_, Rpc::kListPartners);
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
  FinishWith(checked.reactor, std::move(listed), response);
  return checked.reactor;
}

}  // namespace loyalty::server

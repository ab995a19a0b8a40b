// Program: the handlers of rule sets, partners, adjustments, feedback and
// API keys (the maintenance run is a stream: expiry_service.cc).
#include <memory>
#include <utility>

#include "absl/time/time.h"
#include "engine/base/error.h"
#include "engine/base/time_util.h"
#include "engine/server/handlers.h"

namespace loyalty::server {

v1::ApiKey ApiKeyOf(const v1::ApiKeyRecord& record) {
  v1::ApiKey key;
  key.set_key_id(record.key_id());
  key.set_name(record.name());
  key.set_role(static_cast<v1::Role>(record.role()));
  key.set_partner_id(record.partner_id());
  key.set_revoked(record.revoked());
  *key.mutable_create_time() = record.create_time();
  return key;
}

void RpcHandlers::Run(const v1::ValidateRulesRequest& request,
                      const Admission& call,
                      ReplyTo<v1::ValidateRulesRequest> reply) {
  auto validated = operations_->ValidateRules(request);
  if (validated.ok()) {
    call.log.Event(LogLevel::kInfo, "rules_validated",
                   {{"file", request.file_name()},
                    {"version", validated->version()},
                    {"problems", validated->problems_size()}});
  }
  reply(std::move(validated));
}

void RpcHandlers::Run(const v1::LoadRulesRequest& request,
                      const Admission& call,
                      ReplyTo<v1::LoadRulesRequest> reply) {
  operations_->LoadRules(
      request,
      [log = call.log, reply = std::move(reply)](
          absl::StatusOr<v1::LoadRulesResponse> loaded) mutable {
        if (loaded.ok()) {
          const v1::RuleSetVersion& version = loaded->version();
          log.Event(LogLevel::kInfo, "rules_loaded",
                    {{"file", version.source_name()},
                     {"version", version.version()},
                     {"activation_time",
                      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                                       FromTimestamp(version.activation_time()),
                                       absl::UTCTimeZone())}});
        }
        reply(std::move(loaded));
      },
      call.deadline);
}

void RpcHandlers::Run(const v1::GetRulesRequest& request, const Admission&,
                      ReplyTo<v1::GetRulesRequest> reply) {
  reply(operations_->GetRules(request));
}

void RpcHandlers::Run(const v1::UpsertPartnerRequest& request,
                      const Admission& call,
                      ReplyTo<v1::UpsertPartnerRequest> reply) {
  operations_->UpsertPartner(request, std::move(reply), call.deadline);
}

void RpcHandlers::Run(const v1::ListPartnersRequest&, const Admission& call,
                      ReplyTo<v1::ListPartnersRequest> reply) {
  reply(operations_->ListPartners(call.partner_id));
}

void RpcHandlers::Run(const v1::AdjustBalanceRequest& request,
                      const Admission& call,
                      ReplyTo<v1::AdjustBalanceRequest> reply) {
  operations_->AdjustBalance(request, std::move(reply), call.deadline);
}

void RpcHandlers::Run(const v1::RecordFeedbackRequest& request,
                      const Admission& call,
                      ReplyTo<v1::RecordFeedbackRequest> reply) {
  operations_->RecordFeedback(request, std::move(reply), call.deadline);
}

void RpcHandlers::Run(const v1::CreateApiKeyRequest& request,
                      const Admission& call,
                      ReplyTo<v1::CreateApiKeyRequest> reply) {
  if (!v1::Role_IsValid(request.role()) ||
      request.role() == v1::ROLE_UNSPECIFIED) {
    reply(InvalidArgument("MISSING_FIELD", "role",
                          "choose pos, eshop, marketing, auditor or admin"));
    return;
  }
  NewApiKey key =
      GenerateApiKey(request.role(), request.name(), request.partner_id());
  const std::string key_id = key.record.key_id();
  operations_->CreateApiKeyRecord(
      request.request_id(), request, std::move(key.record),
      [this, log = call.log, reply = std::move(reply),
       secret = std::move(key.api_key),
       key_id](absl::StatusOr<v1::ApiKeyRecord> stored) mutable {
        if (!stored.ok()) {
          reply(stored.status());
          return;
        }
        keys_->Put(*stored);
        v1::CreateApiKeyResponse response;
        *response.mutable_key() = ApiKeyOf(*stored);
        // A retry answered from the first call's record has another key id:
        // the secret shown then cannot be shown again.
        if (stored->key_id() == key_id) response.set_api_key(secret);
        log.Event(LogLevel::kInfo, "api_key_created",
                  {{"new_key_id", stored->key_id()},
                   {"role", v1::Role_Name(stored->role())},
                   {"partner_id", stored->partner_id()}});
        reply(std::move(response));
      },
      call.deadline);
}

void RpcHandlers::Run(const v1::ListApiKeysRequest&, const Admission& call,
                      ReplyTo<v1::ListApiKeysRequest> reply) {
  v1::ListApiKeysResponse response;
  for (const auto& record : keys_->List()) {
    if (call.partner_id.empty() || record.partner_id() == call.partner_id) {
      *response.add_keys() = ApiKeyOf(record);
    }
  }
  reply(std::move(response));
}

void RpcHandlers::Run(const v1::RevokeApiKeyRequest& request,
                      const Admission& call,
                      ReplyTo<v1::RevokeApiKeyRequest> reply) {
  // A key bound to a partner revokes only keys bound to the same partner.
  if (!call.caller.partner_id.empty()) {
    for (const auto& record : keys_->List()) {
      if (record.key_id() != request.key_id()) continue;
      if (absl::Status refused =
              CheckPartner(call.caller, record.partner_id(), "key_id");
          !refused.ok()) {
        reply(refused);
        return;
      }
    }
  }
  operations_->RevokeApiKeyRecord(
      request,
      [this, log = call.log, reply = std::move(reply)](
          absl::StatusOr<v1::ApiKeyRecord> stored) mutable {
        if (!stored.ok()) {
          reply(stored.status());
          return;
        }
        keys_->Put(*stored);
        v1::RevokeApiKeyResponse response;
        *response.mutable_key() = ApiKeyOf(*stored);
        log.Event(LogLevel::kInfo, "api_key_revoked",
                  {{"revoked_key_id", stored->key_id()}});
        reply(std::move(response));
      },
      call.deadline);
}

}  // namespace loyalty::server

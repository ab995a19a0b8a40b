// key create | list | revoke: API keys through loyalty.v1.Program (admin
// only). The server keeps only the SHA-256 of a key's secret, so the full
// key is printed once, by `key create`, and never again.
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "args.h"
#include "client.h"
#include "commands.h"
#include "loyalty/v1/program.grpc.pb.h"
#include "output.h"

namespace loyaltyctl {
namespace {

using loyalty::v1::ApiKey;
using loyalty::v1::Program;
using loyalty::v1::Role;

struct RoleName {
  const char* name;
  Role role;
};
constexpr RoleName kRoles[] = {
    {"pos", loyalty::v1::ROLE_POS},
    {"eshop", loyalty::v1::ROLE_ESHOP},
    {"marketing", loyalty::v1::ROLE_MARKETING},
    {"auditor", loyalty::v1::ROLE_AUDITOR},
    {"admin", loyalty::v1::ROLE_ADMIN},
};

absl::StatusOr<Role> ParseRole(const std::string& text) {
  for (const RoleName& role : kRoles) {
    if (text == role.name) return role.role;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "--role must be pos, eshop, marketing, auditor or admin, got '", text,
      "'"));
}

// "pos" from ROLE_POS.
std::string RoleText(Role role) {
  const std::string& name = loyalty::v1::Role_Name(role);
  if (name.empty()) return absl::StrCat(static_cast<int>(role));
  return absl::AsciiStrToLower(absl::StripPrefix(name, "ROLE_"));
}

std::string OrDash(const std::string& text) {
  return text.empty() ? "-" : text;
}

std::unique_ptr<Program::Stub> NewStub(const Invocation& invocation) {
  return Program::NewStub(MakeChannel(invocation.global));
}

KeyValues KeyRows(const ApiKey& key) {
  return {
      {"key id", key.key_id()},
      {"name", OrDash(key.name())},
      {"role", RoleText(key.role())},
      {"partner", OrDash(key.partner_id())},
      {"revoked", key.revoked() ? "yes" : "no"},
      {"created", FormatTime(key.create_time())},
  };
}

void PrintCreated(const loyalty::v1::CreateApiKeyResponse& response) {
  KeyValues rows = KeyRows(response.key());
  // A retry answered from the first call's record carries no secret.
  if (response.api_key().empty()) {
    rows.emplace_back("api key", "(not shown again)");
    PrintKeyValues(rows);
    std::cout << "\nThis --request-id was answered before: the api key was "
                 "shown only then. If it is lost, revoke this key and create "
                 "another.\n";
    return;
  }
  rows.emplace_back("api key", response.api_key());
  PrintKeyValues(rows);
  std::cout << "\nThe api key is shown only once: store it now (the server "
               "keeps only its SHA-256). Callers pass it with --api-key-file "
               "FILE or $LOYALTY_API_KEY.\n";
}

int RunCreate(const Invocation& invocation) {
  const absl::StatusOr<Role> role = ParseRole(invocation.flags.Get("role"));
  if (!role.ok()) return UsageError(invocation, role.status());
  loyalty::v1::CreateApiKeyRequest request;
  request.set_role(*role);
  request.set_name(invocation.flags.Get("name"));
  request.set_partner_id(invocation.flags.Get("partner"));
  request.set_request_id(RequestIdFor(invocation));
  loyalty::v1::CreateApiKeyResponse response;
  grpc::ClientContext context;
  PrepareCall(invocation.global, &context);
  const grpc::Status status =
      NewStub(invocation)->CreateApiKey(&context, request, &response);
  if (!status.ok()) return PrintRpcError(status, invocation.global.json);
  if (invocation.global.json) return PrintJson(response);
  PrintCreated(response);
  return 0;
}

int RunList(const Invocation& invocation) {
  loyalty::v1::ListApiKeysResponse response;
  grpc::ClientContext context;
  PrepareCall(invocation.global, &context);
  const grpc::Status status =
      NewStub(invocation)
          ->ListApiKeys(&context, loyalty::v1::ListApiKeysRequest(), &response);
  if (!status.ok()) return PrintRpcError(status, invocation.global.json);
  if (invocation.global.json) return PrintJson(response);
  std::vector<Row> rows;
  for (const ApiKey& key : response.keys()) {
    rows.push_back({key.key_id(), OrDash(key.name()), RoleText(key.role()),
                    OrDash(key.partner_id()), key.revoked() ? "yes" : "no",
                    FormatTime(key.create_time())});
  }
  if (rows.empty()) {
    std::cout << "no keys\n";
    return 0;
  }
  PrintTable({"ID", "NAME", "ROLE", "PARTNER", "REVOKED", "CREATED"}, rows);
  return 0;
}

int RunRevoke(const Invocation& invocation) {
  // The full key "lk_{id}_{secret}" is a secret; KEY_ID is only its id.
  if (absl::StartsWith(invocation.positional, "lk_")) {
    return UsageError(invocation,
                      absl::InvalidArgumentError(
                          "give the key id (the ID column of 'loyaltyctl key "
                          "list'), not the api key"));
  }
  loyalty::v1::RevokeApiKeyRequest request;
  request.set_key_id(invocation.positional);
  request.set_request_id(RequestIdFor(invocation));
  loyalty::v1::RevokeApiKeyResponse response;
  grpc::ClientContext context;
  PrepareCall(invocation.global, &context);
  const grpc::Status status =
      NewStub(invocation)->RevokeApiKey(&context, request, &response);
  if (!status.ok()) return PrintRpcError(status, invocation.global.json);
  if (invocation.global.json) return PrintJson(response);
  PrintKeyValues(KeyRows(response.key()));
  std::cout << "\nCalls with this key are now refused (UNAUTHENTICATED).\n";
  return 0;
}

FlagSpec RequestIdFlag(const std::string& example) {
  return {"request-id", "R",
          "Idempotency key: a retry with the same id returns the first "
          "answer. Default: 16 random hex characters, printed so you can "
          "retry.",
          example};
}

}  // namespace

std::vector<CommandSpec> KeyCommands() {
  return {
      {"key",
       "create",
       "",
       "",
       "Create an API key with a role (admin only); prints it once.",
       {{"role", "pos|eshop|marketing|auditor|admin",
         "What the key may call. pos, eshop: checkout, enroll and read "
         "members. marketing: program (rules, feedback). auditor: export, "
         "verify, metrics. admin: everything, keys and backups included.",
         "--role pos", true},
        {"name", "N", "A label saying who holds the key.",
         "--name \"till 3, Paris 07\""},
        {"partner", "P",
         "Bind the key to a coalition partner: it prices, commits and reads "
         "only that partner's purchases.",
         "--partner fuelco"},
        RequestIdFlag("--request-id key-paris07-till3")},
       "loyaltyctl key create --role pos --name \"till 3, Paris 07\" "
       "--api-key-file var/loyalty/ADMIN_KEY",
       RunCreate},
      {"key",
       "list",
       "",
       "",
       "List the API keys (admin only); secrets are never shown.",
       {},
       "loyaltyctl key list --api-key-file var/loyalty/ADMIN_KEY",
       RunList},
      {"key",
       "revoke",
       "KEY_ID",
       "The key's id: the ID column of 'loyaltyctl key list', or the part "
       "between 'lk_' and the second '_' of the api key.",
       "Revoke an API key (admin only): its calls are refused from now on.",
       {RequestIdFlag("--request-id revoke-3f9a0c12ab45")},
       "loyaltyctl key revoke 3f9a0c12ab45 --api-key-file "
       "var/loyalty/ADMIN_KEY",
       RunRevoke},
  };
}

}  // namespace loyaltyctl

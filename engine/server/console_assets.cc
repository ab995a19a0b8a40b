#include "engine/server/console_assets.h"

#include <optional>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/base/error.h"
#include "engine/program/reasons.h"
#include "engine/server/http_api.h"
#include "engine/server/http_json.h"
#include "engine/server/http_router.h"
#include "google/protobuf/struct.pb.h"

namespace loyalty::server {
namespace {

const ConsoleAsset* FindAsset(absl::string_view name) {
  for (size_t i = 0; i < kConsoleAssetCount; ++i) {
    if (name == kConsoleAssets[i].name) return &kConsoleAssets[i];
  }
  return nullptr;
}

// Headers of every console answer: only its own files may run or load.
void SetPageHeaders(httplib::Response& response) {
  response.set_header("Content-Security-Policy",
                      "default-src 'self'; img-src 'self' data:; "
                      "object-src 'none'; frame-ancestors 'none'; "
                      "base-uri 'none'; form-action 'none'");
  response.set_header("X-Content-Type-Options", "nosniff");
  response.set_header("Referrer-Policy", "no-referrer");
  response.set_header("Cache-Control", "no-cache");
}

void ServeAsset(absl::string_view name, httplib::Response& response) {
  const ConsoleAsset* asset = FindAsset(name);
  if (asset == nullptr) {
    WriteError(NotFound("UNKNOWN_ROUTE", "",
                        absl::StrCat("the console has no file '", name, "'")),
               response);
    return;
  }
  SetPageHeaders(response);
  response.set_content(reinterpret_cast<const char*>(asset->bytes), asset->size,
                       std::string(ConsoleContentType(name)));
}

// {"role":"ROLE_AUDITOR","partnerId":"","keyId":"...","rpcs":[...]}.
void ServeSession(const Authorizer& authorizer, const httplib::Request& http,
                  httplib::Response& response) {
  // The key read as the API reads it (http_api.h).
  const std::optional<std::string> key =
      HttpOrigin(http, absl::ZeroDuration()).api_key;
  std::optional<Caller> caller;
  google::protobuf::ListValue rpcs;
  for (int i = 0; i <= static_cast<int>(kLastRpc); ++i) {
    const Rpc rpc = static_cast<Rpc>(i);
    absl::StatusOr<Caller> checked = authorizer.Check(key, rpc);
    if (checked.status().code() == absl::StatusCode::kUnauthenticated) {
      WriteError(checked.status(), response);
      return;
    }
    if (!checked.ok()) continue;
    caller = *checked;
    rpcs.add_values()->set_string_value(RpcName(rpc));
  }
  if (!caller.has_value()) {  // a role that may call nothing
    WriteError(
        MakeError(absl::StatusCode::kPermissionDenied, "ROLE_NOT_ALLOWED",
                  kApiKeyHeader, "this key's role may not call any RPC"),
        response);
    return;
  }
  google::protobuf::Struct session;
  auto& fields = *session.mutable_fields();
  fields["role"].set_string_value(v1::Role_Name(caller->role));
  fields["keyId"].set_string_value(caller->key_id);
  fields["partnerId"].set_string_value(caller->partner_id);
  *fields["rpcs"].mutable_list_value() = std::move(rpcs);
  // The reason codes an adjustment takes when the rule set lists none.
  auto* reasons = fields["defaultAdjustmentReasons"].mutable_list_value();
  for (const std::string& reason : program::DefaultAdjustmentReasons()) {
    reasons->add_values()->set_string_value(reason);
  }
  absl::StatusOr<std::string> json = MessageJson(session);
  if (!json.ok()) {
    WriteError(json.status(), response);
    return;
  }
  SetPageHeaders(response);
  response.set_header("Cache-Control", "no-store");
  json->push_back('\n');
  response.set_content(*std::move(json), "application/json");
}

}  // namespace

absl::string_view ConsoleContentType(absl::string_view name) {
  if (absl::EndsWith(name, ".html")) return "text/html; charset=utf-8";
  if (absl::EndsWith(name, ".css")) return "text/css; charset=utf-8";
  if (absl::EndsWith(name, ".js")) return "text/javascript; charset=utf-8";
  if (absl::EndsWith(name, ".svg")) return "image/svg+xml";
  return "application/octet-stream";
}

void MountConsole(HttpDoor* door, const Authorizer* authorizer) {
  door->Mount(
      "GET", "/",
      [](const httplib::Request&, const PathParams&,
         httplib::Response& response) { ServeAsset("index.html", response); });
  // Before /console/{file}: the first route that matches serves.
  door->Mount("GET", "/console/session",
              [authorizer](const httplib::Request& http, const PathParams&,
                           httplib::Response& response) {
                ServeSession(*authorizer, http, response);
              });
  door->Mount("GET", "/console/{file}",
              [](const httplib::Request&, const PathParams& params,
                 httplib::Response& response) {
                ServeAsset(params.front().second, response);
              });
}

}  // namespace loyalty::server

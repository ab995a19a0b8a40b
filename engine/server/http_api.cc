#include "engine/server/http_api.h"

#include <memory>
#include <string>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/notification.h"
#include "engine/server/http_routes.h"
#include "engine/server/openapi/openapi_json.h"
#include "engine/server/rpc_table.h"

namespace loyalty::server {
namespace {

// What the call path answers, waited for by the door's thread. Shared with
// the reply, which may run on another thread.
template <typename Response>
struct Answer {
  absl::Notification done;
  absl::StatusOr<Response> value;
};

// Mounts each route of http_routes.h on the door.
struct Mounter {
  HttpApi* api;
  HttpDoor* door;

  template <typename Request>
  void Unary(HttpRoute route) {
    HttpApi* serving = api;
    door->Mount(
        route.method, route.path,
        [serving](const httplib::Request& http, const PathParams& params,
                  httplib::Response& response) {
          serving->ServeUnary<Request>(http, params, response);
        });
  }
  template <typename Request>
  void Stream(HttpRoute route) {
    HttpApi* serving = api;
    door->Mount(
        route.method, route.path,
        [serving](const httplib::Request& http, const PathParams& params,
                  httplib::Response& response) {
          serving->ServeStream<Request>(http, params, response);
        });
  }
};

}  // namespace

void HttpApi::MountOn(HttpDoor* door) {
  Mounter mounter{this, door};
  ForEachHttpRoute(mounter);
  door->Mount("GET", kOpenApiPath,
              [](const httplib::Request&, const PathParams&,
                 httplib::Response& response) {
                const absl::string_view json = OpenApiJson();
                response.set_content(json.data(), json.size(),
                                     "application/json");
              });
}

template <typename Request>
void HttpApi::ServeUnary(const httplib::Request& http, const PathParams& params,
                         httplib::Response& response) const {
  using Response = ResponseOf<Request>;
  auto answer = std::make_shared<Answer<Response>>();
  parts_.path->Run<Request>(HttpOrigin(http, parts_.call_timeout),
                            ReadHttp<Request>(http, params),
                            [answer](absl::StatusOr<Response> value) {
                              answer->value = std::move(value);
                              answer->done.Notify();
                            });
  answer->done.WaitForNotification();
  if (!answer->value.ok()) {
    WriteError(answer->value.status(), response);
    return;
  }
  absl::StatusOr<std::string> json = MessageJson(*answer->value);
  if (!json.ok()) {
    WriteError(json.status(), response);
    return;
  }
  response.status = 200;
  json->push_back('\n');  // so that curl's output ends its line
  response.set_content(*std::move(json), "application/json");
}

CallOrigin HttpOrigin(const httplib::Request& http,
                      absl::Duration call_timeout) {
  CallOrigin origin;
  const std::string header = http.get_header_value("Authorization");
  absl::string_view authorization = header;
  if (absl::ConsumePrefix(&authorization, "Bearer ")) {
    origin.api_key = std::string(absl::StripAsciiWhitespace(authorization));
  } else if (http.has_header(kApiKeyHeader)) {
    origin.api_key = http.get_header_value(kApiKeyHeader);
  }
  origin.deadline = absl::Now() + call_timeout;
  return origin;
}

absl::Status ReadHttpMessage(const httplib::Request& http,
                             const PathParams& params,
                             google::protobuf::Message* request) {
  HttpRequestParts parts;
  if (http.method != "GET" && http.method != "HEAD") parts.body = http.body;
  parts.query = &http.params;
  parts.path = &params;
  if (http.has_header("Idempotency-Key")) {
    parts.idempotency_key = http.get_header_value("Idempotency-Key");
  }
  return ReadHttpRequest(parts, request);
}

std::string JsonLine(const google::protobuf::Message& message) {
  absl::StatusOr<std::string> json = MessageJson(message);
  if (!json.ok()) return ErrorLine(json.status());
  return absl::StrCat(*json, "\n");
}

std::string ErrorLine(const absl::Status& status) {
  return absl::StrCat("{\"error\":", ErrorJson(status), "}\n");
}

}  // namespace loyalty::server

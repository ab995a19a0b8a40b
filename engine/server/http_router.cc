#include "engine/server/http_router.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "engine/base/error.h"

namespace loyalty::server {

PathTemplate::PathTemplate(absl::string_view text) : text_(text) {
  for (absl::string_view part : absl::StrSplit(text, '/')) {
    Segment segment;
    if (absl::StartsWith(part, "{")) {
      const size_t close = part.find('}');
      segment.param = std::string(part.substr(1, close - 1));
      segment.literal = std::string(part.substr(close + 1));
    } else {
      segment.literal = std::string(part);
    }
    segments_.push_back(std::move(segment));
  }
}

std::optional<PathParams> PathTemplate::Match(absl::string_view path) const {
  const std::vector<absl::string_view> parts = absl::StrSplit(path, '/');
  if (parts.size() != segments_.size()) return std::nullopt;
  PathParams params;
  for (size_t i = 0; i < parts.size(); ++i) {
    const Segment& segment = segments_[i];
    absl::string_view part = parts[i];
    if (segment.param.empty()) {
      if (part != segment.literal) return std::nullopt;
      continue;
    }
    if (!absl::ConsumeSuffix(&part, segment.literal) || part.empty()) {
      return std::nullopt;
    }
    params.emplace_back(segment.param, std::string(part));
  }
  return params;
}

void HttpRouter::Add(std::string method, absl::string_view path_template,
                     HttpHandler handler) {
  routes_.push_back(Route{std::move(method), PathTemplate(path_template),
                          std::move(handler)});
}

void HttpRouter::Serve(const httplib::Request& request,
                       httplib::Response& response) const {
  const std::string method = request.method == "HEAD" ? "GET" : request.method;
  std::vector<std::string> allowed;
  for (const Route& route : routes_) {
    std::optional<PathParams> params = route.path.Match(request.path);
    if (!params.has_value()) continue;
    if (route.method == method) {
      route.handler(request, *params, response);
      return;
    }
    allowed.push_back(route.method);
  }
  if (allowed.empty()) {
    WriteError(NotFound("UNKNOWN_ROUTE", "",
                        absl::StrCat("no route ", Quoted(request.path),
                                     "; the routes are in /v1/openapi.json")),
               response);
    return;
  }
  WriteError(
      MakeError(absl::StatusCode::kUnimplemented, "METHOD_NOT_ALLOWED", "",
                absl::StrCat(request.method, " is not served here; ",
                             absl::StrJoin(allowed, ", "), " is")),
      response);
  response.status = 405;
  response.set_header("Allow", absl::StrJoin(allowed, ", "));
}

std::vector<std::string> HttpRouter::Routes() const {
  std::vector<std::string> routes;
  for (const Route& route : routes_) {
    routes.push_back(absl::StrCat(route.method, " ", route.path.text()));
  }
  return routes;
}

void WriteError(const absl::Status& status, httplib::Response& response) {
  response.status = HttpStatusOf(status.code());
  if (status.code() == absl::StatusCode::kUnauthenticated) {
    response.set_header("WWW-Authenticate", "Bearer");
  }
  response.set_content(absl::StrCat(ErrorJson(status), "\n"),
                       "application/json");
}

}  // namespace loyalty::server

// The HTTP door's table of routes: a method and a path template each
// (http_routes.h spells them), matched segment by segment. A template
// segment is a literal (`checkout:commit`) or a parameter in braces,
// optionally followed by a literal suffix (`{member_id}:adjust`); a
// parameter matches one non-empty segment. Routes are added before the door
// listens and only read after, so Serve needs no lock.
//
// Besides the API, anything else the door serves is one more route: the
// OpenAPI description now, the console's assets and more GET routes later
// (HttpDoor::Mount).
#ifndef LOYALTY_ENGINE_SERVER_HTTP_ROUTER_H_
#define LOYALTY_ENGINE_SERVER_HTTP_ROUTER_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "engine/server/http_json.h"
#include "httplib.h"

namespace loyalty::server {

// Serves one request that matched a route; `params` are the path's
// parameters by name.
using HttpHandler =
    std::function<void(const httplib::Request& request,
                       const PathParams& params, httplib::Response& response)>;

class PathTemplate {
 public:
  explicit PathTemplate(absl::string_view text);
  // The parameters, when `path` matches.
  std::optional<PathParams> Match(absl::string_view path) const;
  const std::string& text() const { return text_; }

 private:
  struct Segment {
    std::string literal;  // the whole segment, or the suffix after a parameter
    std::string param;    // empty for a literal segment
  };
  std::string text_;
  std::vector<Segment> segments_;
};

class HttpRouter {
 public:
  // `method` is GET, POST, PUT, PATCH or DELETE (a GET route answers HEAD).
  void Add(std::string method, absl::string_view path_template,
           HttpHandler handler);

  // The handler of the route that matches; else 404 (reason UNKNOWN_ROUTE),
  // or 405 with an Allow header when the path matches another method's
  // route (reason METHOD_NOT_ALLOWED); both with the JSON error body.
  void Serve(const httplib::Request& request,
             httplib::Response& response) const;

  // Every route, as "METHOD /path/template".
  std::vector<std::string> Routes() const;

 private:
  struct Route {
    std::string method;
    PathTemplate path;
    HttpHandler handler;
  };
  std::vector<Route> routes_;
};

// Writes `status` as the JSON error body (http_json.h) with its HTTP status.
void WriteError(const absl::Status& status, httplib::Response& response);

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_HTTP_ROUTER_H_

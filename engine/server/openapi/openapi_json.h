// The OpenAPI 3 description of the HTTP/JSON API, made at build time from
// the protos and http_routes.h by loyalty_openapi (openapi_main.cc) and
// compiled into loyaltyd, which serves it at /v1/openapi.json.
#ifndef LOYALTY_ENGINE_SERVER_OPENAPI_OPENAPI_JSON_H_
#define LOYALTY_ENGINE_SERVER_OPENAPI_OPENAPI_JSON_H_

#include "absl/strings/string_view.h"

namespace loyalty::server {

// The document, as JSON (defined in the generated openapi_json.cc).
absl::string_view OpenApiJson();

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_OPENAPI_OPENAPI_JSON_H_

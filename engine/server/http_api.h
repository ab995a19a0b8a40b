// The API on the HTTP door (http_door.h): every route of http_routes.h
// served through the one call path (call_path.h), so an HTTP request gets
// the same caller check, limits, partner scope, handler, idempotency and
// refusals as the same request over gRPC; plus the OpenAPI description at
// /v1/openapi.json.
//
// A unary call: the request is read from the path, the body or the query
// (http_json.h); the caller's key from `Authorization: Bearer lk_...` (or
// `x-api-key`); the deadline is the door's call_timeout. The door's thread
// waits for the answer and writes it as JSON, 200, or the refusal as the
// JSON error body with the HTTP status of its code (http_json.h).
//
// A stream (ExportLedger, RunExpiry, SimulateRules) answers 200 with
// `application/x-ndjson`: one JSON object per line, each a message the gRPC
// stream would send; a failure after the first line is a last line
// {"error": {...}} holding the error body. A refusal before the stream
// starts is an ordinary error answer.
#ifndef LOYALTY_ENGINE_SERVER_HTTP_API_H_
#define LOYALTY_ENGINE_SERVER_HTTP_API_H_

#include <atomic>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "engine/ledger/ledger.h"
#include "engine/server/admission.h"
#include "engine/server/call_path.h"
#include "engine/server/http_door.h"
#include "engine/server/http_json.h"
#include "engine/server/maintenance_runs.h"
#include "engine/server/reader_pool.h"
#include "engine/server/simulation_runs.h"

namespace loyalty::server {

// What the API serves with; nothing is owned, everything outlives the door.
struct HttpApiParts {
  const CallPath* path = nullptr;
  ledger::Ledger* ledger = nullptr;  // exports
  ReaderPool* readers = nullptr;     // an export holds a slot while it streams
  MaintenanceRuns* runs = nullptr;   // RunExpiry
  SimulationRuns* simulations = nullptr;  // SimulateRules
  absl::Duration call_timeout = absl::Seconds(30);
};

class HttpApi {
 public:
  explicit HttpApi(HttpApiParts parts) : parts_(parts) {}
  HttpApi(const HttpApi&) = delete;
  HttpApi& operator=(const HttpApi&) = delete;

  // Mounts every route on `door`, which must stop before this is destroyed.
  void MountOn(HttpDoor* door);

  // For a stop of the server: exports in progress end at their next page
  // (a last line with UNAVAILABLE, SERVER_STOPPING).
  void Stop() { stopping_ = true; }

  template <typename Request>
  void ServeUnary(const httplib::Request& http, const PathParams& params,
                  httplib::Response& response) const;
  // Defined for the two streams (http_streams.cc).
  template <typename Request>
  void ServeStream(const httplib::Request& http, const PathParams& params,
                   httplib::Response& response);

 private:
  const HttpApiParts parts_;
  std::atomic<bool> stopping_{false};
};

template <>
void HttpApi::ServeStream<v1::ExportLedgerRequest>(const httplib::Request& http,
                                                   const PathParams& params,
                                                   httplib::Response& response);
template <>
void HttpApi::ServeStream<v1::RunExpiryRequest>(const httplib::Request& http,
                                                const PathParams& params,
                                                httplib::Response& response);
template <>
void HttpApi::ServeStream<v1::SimulateRulesRequest>(
    const httplib::Request& http, const PathParams& params,
    httplib::Response& response);

// The caller's API key (`Authorization: Bearer KEY`, else `x-api-key`) and
// the call's deadline, `call_timeout` from now.
CallOrigin HttpOrigin(const httplib::Request& http,
                      absl::Duration call_timeout);

// The request an HTTP request carries (http_json.h): the query for a GET,
// the body otherwise; the path's parameters; the Idempotency-Key header.
absl::Status ReadHttpMessage(const httplib::Request& http,
                             const PathParams& params,
                             google::protobuf::Message* request);

template <typename Request>
absl::StatusOr<Request> ReadHttp(const httplib::Request& http,
                                 const PathParams& params) {
  Request request;
  const absl::Status read = ReadHttpMessage(http, params, &request);
  if (!read.ok()) return read;
  return request;
}

// One line of a JSON-lines stream: `message` as JSON, or {"error": ...}.
std::string JsonLine(const google::protobuf::Message& message);
std::string ErrorLine(const absl::Status& status);

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_HTTP_API_H_

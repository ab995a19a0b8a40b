// The routes of the HTTP/JSON door (http_door.h), one line per RPC, in the
// style of gRPC transcoding (AIP-127): a resource path, a custom method after
// a colon (`POST /v1/checkout:commit`), path parameters in braces that name a
// field of the request (`GET /v1/members/{member_id}/balance`). A POST or PUT
// carries the rest of the request as its JSON body (protobuf's JSON mapping);
// a GET carries it as query parameters, one per top-level field
// (`?page_size=20&page_token=...`). A stream answers one JSON object per line.
//
// The same table makes the OpenAPI description (engine/server/openapi/), the
// door's router and the route test (tests/integration/http_test.cc), so a new
// unary RPC needs its row in rpc_table.h, its handler, and one line here.
// Header-only and free of the server: the OpenAPI generator includes it with
// the messages alone.
#ifndef LOYALTY_ENGINE_SERVER_HTTP_ROUTES_H_
#define LOYALTY_ENGINE_SERVER_HTTP_ROUTES_H_

#include "loyalty/v1/audit.pb.h"
#include "loyalty/v1/checkout.pb.h"
#include "loyalty/v1/members.pb.h"
#include "loyalty/v1/program.pb.h"

namespace loyalty::server {

// One route: the HTTP method and the path template.
struct HttpRoute {
  const char* method;  // "GET", "POST" or "PUT"
  const char* path;    // "/v1/members/{member_id}/balance"
};

// Calls visit.Unary<Request>(route) for every unary RPC and
// visit.Stream<Request>(route) for every server stream, in the order of the
// README's table.
template <typename Visitor>
void ForEachHttpRoute(Visitor& visit) {
  namespace v1 = ::loyalty::v1;
  // One line per RPC, however long: a table reads best unwrapped.
  // clang-format off
  // Checkout.
  visit.template Unary<v1::QuotePurchaseRequest>({"POST", "/v1/checkout:quote"});
  visit.template Unary<v1::CommitPurchaseRequest>({"POST", "/v1/checkout:commit"});
  visit.template Unary<v1::CommitPurchasesRequest>({"POST", "/v1/checkout:batchCommit"});
  visit.template Unary<v1::RefundPurchaseRequest>({"POST", "/v1/checkout:refund"});
  visit.template Unary<v1::RedeemRewardRequest>({"POST", "/v1/members/{member_id}:redeemReward"});
  // Members.
  visit.template Unary<v1::EnrollMemberRequest>({"POST", "/v1/members"});
  visit.template Unary<v1::GetMemberRequest>({"GET", "/v1/members/{member_id}"});
  visit.template Unary<v1::GetBalanceRequest>({"GET", "/v1/members/{member_id}/balance"});
  visit.template Unary<v1::ListEntriesRequest>({"GET", "/v1/members/{member_id}/entries"});
  visit.template Unary<v1::UpdateMemberRequest>({"POST", "/v1/members/{member_id}:update"});
  visit.template Unary<v1::SearchMembersRequest>({"POST", "/v1/members:search"});
  visit.template Unary<v1::ExportMemberDataRequest>({"GET", "/v1/members/{member_id}/data"});
  visit.template Unary<v1::EraseMemberRequest>({"POST", "/v1/members/{member_id}:erase"});
  // Program.
  visit.template Unary<v1::ValidateRulesRequest>({"POST", "/v1/rules:validate"});
  visit.template Unary<v1::LoadRulesRequest>({"POST", "/v1/rules"});
  visit.template Unary<v1::GetRulesRequest>({"GET", "/v1/rules"});
  visit.template Stream<v1::SimulateRulesRequest>({"POST", "/v1/rules:simulate"});
  visit.template Unary<v1::UpsertPartnerRequest>({"PUT", "/v1/partners/{partner_id}"});
  visit.template Unary<v1::ListPartnersRequest>({"GET", "/v1/partners"});
  visit.template Unary<v1::AdjustBalanceRequest>({"POST", "/v1/members/{member_id}:adjust"});
  visit.template Unary<v1::RecordFeedbackRequest>({"POST", "/v1/feedback"});
  visit.template Stream<v1::RunExpiryRequest>({"POST", "/v1/program:runExpiry"});
  visit.template Unary<v1::CreateApiKeyRequest>({"POST", "/v1/apiKeys"});
  visit.template Unary<v1::ListApiKeysRequest>({"GET", "/v1/apiKeys"});
  visit.template Unary<v1::RevokeApiKeyRequest>({"POST", "/v1/apiKeys/{key_id}:revoke"});
  // Audit.
  visit.template Stream<v1::ExportLedgerRequest>({"GET", "/v1/ledger:export"});
  visit.template Unary<v1::VerifyLedgerRequest>({"POST", "/v1/ledger:verify"});
  visit.template Unary<v1::GetProgramMetricsRequest>({"GET", "/v1/program/metrics"});
  visit.template Unary<v1::SettlePartnersRequest>({"POST", "/v1/partners:settle"});
  visit.template Unary<v1::CreateBackupRequest>({"POST", "/v1/backups"});
  // clang-format on
}

// Where the OpenAPI description of these routes is served.
inline constexpr char kOpenApiPath[] = "/v1/openapi.json";

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_HTTP_ROUTES_H_

// Members' data: the handlers of UpdateMember, SearchMembers,
// ExportMemberData and EraseMember (engine/program/member_data.h).
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "engine/base/error.h"
#include "engine/server/handlers.h"

namespace loyalty::server {
namespace {

// Who made a change, as its journal entry names it.
std::string ActorOf(const Caller& caller) {
  return caller.key_id.empty() ? "local" : absl::StrCat("key:", caller.key_id);
}

// The search field a request uses that the caller's role may not (auth.cc:
// a till searches by card number or phone only); OK otherwise.
absl::Status CheckSearchField(const Caller& caller,
                              const v1::SearchMembersRequest& request) {
  for (const auto& [field, value] :
       {std::pair<const char*, const std::string*>{"email", &request.email()},
        {"name_prefix", &request.name_prefix()}}) {
    if (!value->empty() && !RoleMaySearchBy(caller.role, field)) {
      return MakeError(absl::StatusCode::kPermissionDenied, "SEARCH_FIELD",
                       field,
                       "this key may search by card_number or phone only");
    }
  }
  return absl::OkStatus();
}

}  // namespace

void RpcHandlers::Run(const v1::UpdateMemberRequest& request,
                      const Admission& call,
                      ReplyTo<v1::UpdateMemberRequest> reply) {
  operations_->UpdateMember(request, ActorOf(call.caller), std::move(reply),
                            call.deadline);
}

// A name prefix may look at many index records: on a reader thread.
void RpcHandlers::Run(const v1::SearchMembersRequest& request,
                      const Admission& call,
                      ReplyTo<v1::SearchMembersRequest> reply) {
  if (absl::Status allowed = CheckSearchField(call.caller, request);
      !allowed.ok()) {
    reply(std::move(allowed));
    return;
  }
  readers_->Read<v1::SearchMembersResponse>(std::move(reply), [this, &request] {
    return operations_->SearchMembers(request);
  });
}

// Reads the member's whole history and every member record: on a reader
// thread.
void RpcHandlers::Run(const v1::ExportMemberDataRequest& request,
                      const Admission&,
                      ReplyTo<v1::ExportMemberDataRequest> reply) {
  readers_->Read<v1::ExportMemberDataResponse>(
      std::move(reply),
      [this, &request] { return operations_->ExportMemberData(request); });
}

void RpcHandlers::Run(const v1::EraseMemberRequest& request,
                      const Admission& call,
                      ReplyTo<v1::EraseMemberRequest> reply) {
  operations_->EraseMember(request, ActorOf(call.caller), std::move(reply),
                           call.deadline);
}

}  // namespace loyalty::server

#include "engine/server/call_path.h"

#include "absl/strings/str_cat.h"
#include "engine/base/error.h"
#include "engine/base/status_macros.h"

namespace loyalty::server {

absl::Status MalformedRequest(absl::string_view type_name) {
  return InvalidArgument(
      "MALFORMED_REQUEST", "",
      absl::StrCat("the request is not a valid ", type_name, " message"));
}

absl::StatusOr<std::string> ResolvePartnerScope(const Caller& caller,
                                                PartnerScope scope,
                                                const NamedPartner& named) {
  switch (scope) {
    case PartnerScope::kNone:
      return "";
    case PartnerScope::kActsFor:
      RETURN_IF_ERROR(CheckPartner(caller, named.partner_id, named.field));
      return std::string(named.partner_id);
    case PartnerScope::kNarrows:
      if (named.partner_id.empty()) return caller.partner_id;
      RETURN_IF_ERROR(CheckPartner(caller, named.partner_id, named.field));
      return std::string(named.partner_id);
    case PartnerScope::kProgram:
      if (caller.partner_id.empty()) return "";
      return MakeError(
          absl::StatusCode::kPermissionDenied, "PARTNER_SCOPE", "",
          absl::StrCat("this key acts only for partner '", caller.partner_id,
                       "'; this call concerns the whole program"));
  }
  return absl::InternalError("unknown partner scope");
}

Admission CallPath::Authorize(const CallOrigin& origin, Rpc rpc,
                              std::string request_id) const {
  absl::StatusOr<Caller> caller = authorizer_->Check(origin.api_key, rpc);
  CallLog log =
      CallLog::Of(logger_, rpc, origin.api_key, caller, std::move(request_id));
  if (!caller.ok())
    return Admission{caller.status(), std::move(log), Caller{}, "",
                     origin.deadline};
  return Admission{absl::OkStatus(), std::move(log), *std::move(caller), "",
                   origin.deadline};
}

}  // namespace loyalty::server

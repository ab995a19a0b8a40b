// Members' data through Operations: UpdateMember and EraseMember (decided in
// member_changes.cc), SearchMembers and ExportMemberData (reads).
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "engine/base/error.h"
#include "engine/base/member_index.h"
#include "engine/base/sha256.h"
#include "engine/base/status_macros.h"
#include "engine/base/time_util.h"
#include "engine/program/member_data.h"
#include "engine/program/member_view.h"
#include "engine/program/operations.h"
#include "engine/program/submit.h"
#include "engine/program/upkeep.h"

namespace loyalty::program {
namespace {

using loyalty::v1::MemberProfile;

constexpr int kDefaultSearchPage = 20;
constexpr int kMaxSearchPage = 100;
// Index records looked at for one page at most: a page may come back short
// (with a next_page_token) when a long name prefix matches few candidates.
constexpr int kMaxSearchCandidates = 1000;
constexpr size_t kTokenDigestBytes = 8;
// Entries one export carries at most (the answer must fit 4 MiB).
constexpr int kMaxExportEntries = 10000;
constexpr int kReadPage = 1000;

struct SearchQuery {
  IndexKind kind;
  std::string value;  // as sent
  const char* field;
};

absl::StatusOr<SearchQuery> QueryOf(
    const loyalty::v1::SearchMembersRequest& request) {
  std::vector<SearchQuery> given;
  if (!request.email().empty())
    given.push_back({IndexKind::kEmail, request.email(), "email"});
  if (!request.phone().empty())
    given.push_back({IndexKind::kPhone, request.phone(), "phone"});
  if (!request.card_number().empty())
    given.push_back({IndexKind::kCard, request.card_number(), "card_number"});
  if (!request.name_prefix().empty())
    given.push_back({IndexKind::kName, request.name_prefix(), "name_prefix"});
  if (given.size() != 1) {
    return InvalidArgument(
        "ONE_SEARCH_FIELD", given.empty() ? "email" : given[1].field,
        "give exactly one of email, phone, card_number, name_prefix");
  }
  if (NormalizeForIndex(given[0].kind, given[0].value).empty()) {
    return InvalidArgument("INVALID_SEARCH_VALUE", given[0].field,
                           "give a value with letters or digits");
  }
  return given[0];
}

// Binds a page token to its query, so that one query's token is refused by
// another (AIP-158), without saying what was searched.
std::string QueryDigest(const SearchQuery& query) {
  return Sha256Pair(IndexValuePrefix(query.kind, query.value),
                    NormalizeForIndex(query.kind, query.value))
      .substr(0, kTokenDigestBytes);
}

absl::StatusOr<std::string> AfterIdOf(const std::string& token,
                                      const SearchQuery& query) {
  if (token.empty()) return std::string();
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw) ||
      raw.size() <= kTokenDigestBytes ||
      raw.substr(0, kTokenDigestBytes) != QueryDigest(query)) {
    return InvalidArgument("INVALID_PAGE_TOKEN", "page_token",
                           "pass the next_page_token of the same search");
  }
  return raw.substr(kTokenDigestBytes);
}

bool Matches(const SearchQuery& query, const MemberProfile& personal) {
  const std::string wanted = NormalizeForIndex(query.kind, query.value);
  switch (query.kind) {
    case IndexKind::kEmail:
      return NormalizeForIndex(query.kind, personal.email()) == wanted;
    case IndexKind::kPhone:
      return NormalizeForIndex(query.kind, personal.phone()) == wanted;
    case IndexKind::kCard:
      return NormalizeForIndex(query.kind, personal.card_number()) == wanted;
    case IndexKind::kName:
      return NameHasPrefix(personal, query.value);
  }
  return false;
}

}  // namespace

void Operations::UpdateMember(const loyalty::v1::UpdateMemberRequest& request,
                              std::string actor,
                              Reply<loyalty::v1::UpdateMemberResponse> reply,
                              absl::Time deadline) {
  // The kept answer has no personal fields: they are read back once the
  // change is durable.
  Reply<loyalty::v1::UpdateMemberResponse> with_personal =
      [this, reply = std::move(reply)](
          absl::StatusOr<loyalty::v1::UpdateMemberResponse> answer) mutable {
        if (answer.ok()) {
          auto personal = ReadSealed(*ledger_, answer->member().member_id());
          if (!personal.ok()) return reply(personal.status());
          if (personal->has_value())
            MergePersonal(**personal, answer->mutable_member());
        }
        reply(std::move(answer));
      };
  internal::SubmitToLedger(
      ledger_, request.request_id(),
      internal::Fingerprint("UpdateMember", request),
      [request, actor = std::move(actor),
       secrets = NewProfileSecrets()](ledger::Transaction& t) {
        return internal::DecideUpdateMember(request, actor, secrets, t);
      },
      std::move(with_personal), deadline);
}

void Operations::EraseMember(const loyalty::v1::EraseMemberRequest& request,
                             std::string actor,
                             Reply<loyalty::v1::EraseMemberResponse> reply,
                             absl::Time deadline) {
  internal::SubmitToLedger(
      ledger_, request.request_id(),
      internal::Fingerprint("EraseMember", request),
      [request, actor = std::move(actor)](ledger::Transaction& t) {
        return internal::DecideEraseMember(request, actor, t);
      },
      std::move(reply), deadline);
}

absl::StatusOr<loyalty::v1::SearchMembersResponse> Operations::SearchMembers(
    const loyalty::v1::SearchMembersRequest& request) const {
  ASSIGN_OR_RETURN(const SearchQuery query, QueryOf(request));
  if (request.page_size() < 0 || request.page_size() > kMaxSearchPage) {
    return InvalidArgument("INVALID_PAGE_SIZE", "page_size",
                           absl::StrCat("use 1 to ", kMaxSearchPage,
                                        ", or 0 for ", kDefaultSearchPage));
  }
  const int page_size =
      request.page_size() == 0 ? kDefaultSearchPage : request.page_size();
  ASSIGN_OR_RETURN(const std::string after,
                   AfterIdOf(request.page_token(), query));
  const std::string prefix = IndexValuePrefix(query.kind, query.value);
  const std::unique_ptr<ledger::AuxView> view = ledger_->NewAuxView();
  const std::unique_ptr<ledger::AuxCursor> cursor = view->NewCursor(prefix);
  cursor->Seek(prefix + after);
  if (!after.empty() && cursor->Valid() && cursor->key() == prefix + after)
    cursor->Next();
  loyalty::v1::SearchMembersResponse response;
  std::string last;
  for (int examined = 0; cursor->Valid() && examined < kMaxSearchCandidates &&
                         response.members_size() < page_size;
       ++examined, cursor->Next()) {
    last = std::string(cursor->key().substr(prefix.size()));
    auto record = ledger_->GetMember(last);
    if (record.status().code() == absl::StatusCode::kNotFound) continue;
    if (!record.ok()) return record.status();
    ASSIGN_OR_RETURN(std::optional<MemberProfile> personal,
                     ReadSealed(*ledger_, last));
    if (!personal.has_value() || !Matches(query, *personal)) continue;
    MemberProfile* found = response.add_members();
    *found = record->profile();
    MergePersonal(*personal, found);
  }
  RETURN_IF_ERROR(cursor->status());
  if (cursor->Valid()) {
    response.set_next_page_token(
        absl::WebSafeBase64Escape(QueryDigest(query) + last));
  }
  return response;
}

absl::StatusOr<loyalty::v1::ExportMemberDataResponse>
Operations::ExportMemberData(
    const loyalty::v1::ExportMemberDataRequest& request) const {
  const std::string& id = request.member_id();
  if (id.empty()) {
    return InvalidArgument("MISSING_FIELD", "member_id",
                           "a member id is needed");
  }
  ASSIGN_OR_RETURN(loyalty::v1::MemberRecord record,
                   KnownMember(ledger_->GetMember(id), id, "member_id"));
  loyalty::v1::ExportMemberDataResponse response;
  const absl::Time now = clock_->Now();
  *response.mutable_export_time() = ToTimestamp(now);
  ASSIGN_OR_RETURN(*response.mutable_profile(), FullProfile(*ledger_, record));
  *response.mutable_balance() = BalanceAt(*book_.ActiveAt(now), record, now);
  *response.mutable_record() = std::move(record);
  for (int64_t after = 0;;) {
    ASSIGN_OR_RETURN(auto entries,
                     ledger_->ListMemberEntries(id, after, kReadPage));
    if (entries.empty()) break;
    after = entries.back().sequence();
    for (auto& entry : entries) *response.add_entries() = std::move(entry);
    if (response.entries_size() > kMaxExportEntries) {
      return MakeError(
          absl::StatusCode::kResourceExhausted, "EXPORT_TOO_LARGE", "member_id",
          absl::StrCat("the member has more than ", kMaxExportEntries,
                       " entries; export the ledger instead"));
    }
  }
  ASSIGN_OR_RETURN(*response.mutable_referred_member_ids(), ReferredBy(id));
  return response;
}

absl::StatusOr<google::protobuf::RepeatedPtrField<std::string>>
Operations::ReferredBy(absl::string_view referrer) const {
  google::protobuf::RepeatedPtrField<std::string> ids;
  std::string after;
  for (;;) {
    ASSIGN_OR_RETURN(auto page, ledger_->ReadMembers(after, kReadPage));
    if (page.empty()) break;
    after = page.back().profile().member_id();
    for (const auto& member : page) {
      if (member.profile().referred_by() == referrer) {
        *ids.Add() = member.profile().member_id();
      }
    }
  }
  return ids;
}

}  // namespace loyalty::program

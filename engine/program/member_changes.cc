// The decisions of Members.UpdateMember and Members.EraseMember
// (member_data.h says where each piece of a member's data lives).
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/analytics/counters.h"
#include "engine/base/error.h"
#include "engine/base/member_index.h"
#include "engine/base/status_macros.h"
#include "engine/ledger/accounts.h"
#include "engine/program/member_data.h"
#include "engine/program/member_view.h"
#include "engine/program/postings.h"

namespace loyalty::program::internal {
namespace {

using loyalty::v1::JournalEntry;
using loyalty::v1::MemberProfile;
using loyalty::v1::MemberRecord;

// The fields an update mask may name.
const char* const kUpdatable[] = {"display_name", "email",       "phone",
                                  "birth_date",   "card_number", "region",
                                  "segments"};

absl::Status CheckMask(const loyalty::v1::UpdateMemberRequest& request) {
  if (request.update_mask().paths().empty()) {
    return InvalidArgument("MISSING_FIELD", "update_mask",
                           "name the fields to change, e.g. email,phone");
  }
  for (int i = 0; i < request.update_mask().paths_size(); ++i) {
    const std::string& path = request.update_mask().paths(i);
    if (std::find(std::begin(kUpdatable), std::end(kUpdatable), path) ==
        std::end(kUpdatable)) {
      return InvalidArgument(
          "UNKNOWN_FIELD", absl::StrCat("update_mask.paths[", i, "]"),
          absl::StrCat("use ", absl::StrJoin(kUpdatable, ", ")));
    }
  }
  if (!request.profile().member_id().empty() &&
      request.profile().member_id() != request.member_id()) {
    return InvalidArgument("MEMBER_ID_MISMATCH", "profile.member_id",
                           "leave it empty or give member_id again");
  }
  return CheckProfile(request.profile());
}

// Copies the masked fields of `from` into the personal profile and the
// record's profile.
void ApplyMask(const google::protobuf::FieldMask& mask,
               const MemberProfile& from, MemberProfile* personal,
               MemberProfile* stored) {
  for (const std::string& path : mask.paths()) {
    if (path == "display_name") personal->set_display_name(from.display_name());
    if (path == "email") personal->set_email(from.email());
    if (path == "phone") personal->set_phone(from.phone());
    if (path == "birth_date") personal->set_birth_date(from.birth_date());
    if (path == "card_number") personal->set_card_number(from.card_number());
    if (path == "region") stored->set_region(from.region());
    if (path == "segments") *stored->mutable_segments() = from.segments();
  }
}

// One posting pair per funder of the lots a forfeiture takes.
void PostForfeitedPoints(const MemberRecord& record, bool pending,
                         JournalEntry* entry) {
  const int64_t held =
      pending ? record.points_pending() : record.points_available();
  if (held <= 0) return;  // a clawback's debt below zero stays as it is
  const std::string& id = entry->member_id();
  const std::string account = pending ? ledger::MemberPointsPending(id)
                                      : ledger::MemberPointsAvailable(id);
  for (const auto& [funder, points] :
       ledger::PlanBurn(record, held, 0, pending)) {
    loyalty::v1::Posting* debit =
        Post(entry, account, ledger::kPointsAsset, -points);
    debit->set_by_lot_partner(true);
    debit->set_lot_partner_id(funder);
    Post(entry, ledger::kProgramPointsExpired, ledger::kPointsAsset, points)
        ->set_lot_partner_id(funder);
  }
}

}  // namespace

absl::StatusOr<int64_t> AppendForfeiture(
    absl::string_view member_id, const std::string& actor,
    ledger::Transaction& transaction,
    loyalty::v1::EraseMemberResponse* response) {
  ASSIGN_OR_RETURN(const MemberRecord* record, transaction.Member(member_id));
  JournalEntry entry;
  entry.set_kind(loyalty::v1::ENTRY_KIND_ERASURE);
  entry.set_member_id(std::string(member_id));
  entry.set_reason_code(kErasedReason);
  entry.set_description("personal data erased; balances left forfeited");
  entry.set_actor(actor);
  PostForfeitedPoints(*record, /*pending=*/false, &entry);
  PostForfeitedPoints(*record, /*pending=*/true, &entry);
  for (const loyalty::v1::CurrencyAmount& wallet : record->cashback()) {
    if (wallet.amount_minor() <= 0) continue;
    Move(&entry, ledger::MemberCashback(member_id, wallet.currency()),
         ledger::ProgramCashbackForfeited(wallet.currency()), wallet.currency(),
         wallet.amount_minor());
    *response->add_cashback_forfeited() = wallet;
  }
  response->set_points_forfeited(
      std::max<int64_t>(record->points_available(), 0) +
      std::max<int64_t>(record->points_pending(), 0));
  const size_t consumed_before = transaction.consumed_lots().size();
  ASSIGN_OR_RETURN(const int64_t sequence, transaction.Append(entry));
  ASSIGN_OR_RETURN(const MemberRecord* after, transaction.Member(member_id));
  analytics::CountPointMoves(entry, ConsumedSince(transaction, consumed_before),
                             *after, transaction);
  return sequence;
}

absl::StatusOr<std::string> DecideUpdateMember(
    const loyalty::v1::UpdateMemberRequest& request, const std::string& actor,
    const ProfileSecrets& secrets, ledger::Transaction& transaction) {
  RETURN_IF_ERROR(CheckMask(request));
  const std::string& id = request.member_id();
  RETURN_IF_ERROR(ExistingMember(transaction, id, "member_id").status());
  ASSIGN_OR_RETURN(MemberProfile before, StagedPersonal(id, transaction));
  before.set_member_id(id);
  ASSIGN_OR_RETURN(MemberRecord * record, transaction.MutableMember(id));
  MemberProfile personal = before;
  MemberProfile stored = WithoutPersonal(record->profile());
  ApplyMask(request.update_mask(), request.profile(), &personal, &stored);
  RETURN_IF_ERROR(StagePersonal(personal, before, secrets, transaction));
  *record->mutable_profile() = stored;
  record->set_birthday(BirthdayMonthDay(personal.birth_date()));
  JournalEntry entry;
  entry.set_kind(loyalty::v1::ENTRY_KIND_PROFILE_UPDATE);
  entry.set_member_id(id);
  entry.set_description(absl::StrCat(
      "profile changed: ", absl::StrJoin(request.update_mask().paths(), ", ")));
  entry.set_actor(actor);
  ASSIGN_OR_RETURN(const int64_t sequence,
                   transaction.Append(std::move(entry)));
  loyalty::v1::UpdateMemberResponse response;
  *response.mutable_member() = std::move(stored);
  response.set_transaction_id(absl::StrCat(sequence));
  return response.SerializeAsString();
}

absl::StatusOr<std::string> DecideEraseMember(
    const loyalty::v1::EraseMemberRequest& request, const std::string& actor,
    ledger::Transaction& transaction) {
  const std::string& id = request.member_id();
  if (id.empty()) {
    return InvalidArgument("MISSING_FIELD", "member_id",
                           "a member id is needed");
  }
  RETURN_IF_ERROR(ExistingMember(transaction, id, "member_id").status());
  ASSIGN_OR_RETURN(MemberProfile personal, StagedPersonal(id, transaction));
  personal.set_member_id(id);
  loyalty::v1::EraseMemberResponse response;
  ASSIGN_OR_RETURN(const int64_t sequence,
                   AppendForfeiture(id, actor, transaction, &response));
  UnstagePersonal(personal, transaction);
  ASSIGN_OR_RETURN(MemberRecord * record, transaction.MutableMember(id));
  if (!record->profile().referral_code().empty()) {
    transaction.DeleteAux(
        absl::StrCat("referral/", record->profile().referral_code()));
  }
  *record->mutable_profile() = WithoutPersonal(record->profile());
  record->clear_birthday();
  record->set_erased(true);
  response.set_transaction_id(absl::StrCat(sequence));
  return response.SerializeAsString();
}

}  // namespace loyalty::program::internal

#include "engine/program/member_data.h"

#include <algorithm>
#include <iterator>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "engine/analytics/counters.h"
#include "engine/base/error.h"
#include "engine/base/limits.h"
#include "engine/base/member_index.h"
#include "engine/base/profile_seal.h"
#include "engine/base/status_macros.h"
#include "engine/ledger/accounts.h"
#include "engine/program/member_view.h"
#include "engine/program/postings.h"

namespace loyalty::program {
namespace {

using loyalty::v1::MemberProfile;
using loyalty::v1::MemberRecord;

// The personal fields held by a record written before profiles were sealed.
MemberProfile PersonalInRecord(const MemberRecord& record) {
  MemberProfile personal;
  MergePersonal(record.profile(), &personal);
  return personal;
}

// The personal profile sealed in `sealed` under `key`; nullopt when either
// record is missing.
absl::StatusOr<std::optional<MemberProfile>> Open(
    const std::optional<std::string>& key,
    const std::optional<std::string>& sealed, absl::string_view member_id) {
  if (!key.has_value() || !sealed.has_value())
    return std::optional<MemberProfile>();
  loyalty::v1::SealedProfile parsed;
  if (!parsed.ParseFromString(*sealed)) {
    return MakeError(absl::StatusCode::kDataLoss, "STORED_RECORD_UNREADABLE",
                     "member_id",
                     absl::StrCat("the profile of member ", Quoted(member_id),
                                  " does not parse"));
  }
  ASSIGN_OR_RETURN(MemberProfile profile, OpenProfile(parsed, member_id, *key));
  return std::optional<MemberProfile>(std::move(profile));
}

}  // namespace

ProfileSecrets NewProfileSecrets() {
  return {RandomBytes(kProfileKeyBytes), RandomBytes(kProfileNonceBytes)};
}

absl::Status CheckProfile(const loyalty::v1::MemberProfile& profile) {
  for (const auto& [field, text] :
       {std::pair<const char*, const std::string*>{"profile.display_name",
                                                   &profile.display_name()},
        {"profile.email", &profile.email()},
        {"profile.phone", &profile.phone()},
        {"profile.card_number", &profile.card_number()},
        {"profile.region", &profile.region()}}) {
    if (text->size() > kMaxProfileTextBytes) {
      return InvalidArgument(
          "TEXT_TOO_LONG", field,
          absl::StrCat("at most ", kMaxProfileTextBytes, " bytes"));
    }
  }
  absl::CivilDay day;
  if (!profile.birth_date().empty() &&
      (profile.birth_date().size() != 10 ||
       !absl::ParseCivilTime(profile.birth_date(), &day))) {
    return InvalidArgument("INVALID_DATE", "profile.birth_date",
                           "use YYYY-MM-DD, e.g. 1990-04-23");
  }
  if (!profile.member_id().empty() &&
      !ledger::IsValidMemberId(profile.member_id())) {
    return InvalidArgument("INVALID_MEMBER_ID", "profile.member_id",
                           "use 1 to 64 letters, digits, '-', '_' or '.'");
  }
  return absl::OkStatus();
}

absl::Status StagePersonal(const MemberProfile& profile,
                           const MemberProfile& before,
                           const ProfileSecrets& secrets,
                           ledger::Transaction& transaction) {
  const std::string& id = profile.member_id();
  ASSIGN_OR_RETURN(std::optional<std::string> key,
                   transaction.GetAux(PersonalKeyRecord(id)));
  if (!key.has_value()) {
    key = secrets.key;
    transaction.PutAux(PersonalKeyRecord(id), secrets.key);
  }
  transaction.PutAux(
      SealedProfileRecord(id),
      SealProfile(profile, id, *key, secrets.nonce).SerializeAsString());
  MemberProfile old = before;
  old.set_member_id(id);
  const std::vector<std::string> old_keys = IndexKeysOf(old);
  const std::vector<std::string> new_keys = IndexKeysOf(profile);
  std::vector<std::string> gone, added;
  std::set_difference(old_keys.begin(), old_keys.end(), new_keys.begin(),
                      new_keys.end(), std::back_inserter(gone));
  std::set_difference(new_keys.begin(), new_keys.end(), old_keys.begin(),
                      old_keys.end(), std::back_inserter(added));
  for (const std::string& index_key : gone) transaction.DeleteAux(index_key);
  for (const std::string& index_key : added) transaction.PutAux(index_key, "");
  return absl::OkStatus();
}

void UnstagePersonal(const MemberProfile& personal,
                     ledger::Transaction& transaction) {
  for (const std::string& key : IndexKeysOf(personal))
    transaction.DeleteAux(key);
  transaction.DeleteAux(PersonalKeyRecord(personal.member_id()));
  transaction.DeleteAux(SealedProfileRecord(personal.member_id()));
}

absl::StatusOr<MemberProfile> StagedPersonal(absl::string_view member_id,
                                             ledger::Transaction& transaction) {
  ASSIGN_OR_RETURN(const MemberRecord* record, transaction.Member(member_id));
  ASSIGN_OR_RETURN(auto key, transaction.GetAux(PersonalKeyRecord(member_id)));
  ASSIGN_OR_RETURN(auto sealed,
                   transaction.GetAux(SealedProfileRecord(member_id)));
  ASSIGN_OR_RETURN(std::optional<MemberProfile> opened,
                   Open(key, sealed, member_id));
  return opened.has_value() ? *std::move(opened) : PersonalInRecord(*record);
}

absl::StatusOr<std::optional<MemberProfile>> ReadSealed(
    const ledger::Ledger& ledger, absl::string_view member_id) {
  ASSIGN_OR_RETURN(auto records, ledger.ReadAux(PersonalPrefix(member_id)));
  std::optional<std::string> key, sealed;
  for (auto& [name, value] : records) {
    if (name == PersonalKeyRecord(member_id)) key = std::move(value);
    if (name == SealedProfileRecord(member_id)) sealed = std::move(value);
  }
  return Open(key, sealed, member_id);
}

absl::StatusOr<MemberProfile> FullProfile(const ledger::Ledger& ledger,
                                          const MemberRecord& record) {
  MemberProfile profile = record.profile();
  ASSIGN_OR_RETURN(std::optional<MemberProfile> personal,
                   ReadSealed(ledger, profile.member_id()));
  // A record written before profiles were sealed holds them itself.
  if (personal.has_value()) MergePersonal(*personal, &profile);
  return profile;
}

}  // namespace loyalty::program

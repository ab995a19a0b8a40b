// Members' personal data (README "Members' data"): where it lives and how
// it is changed, read and erased.
//
// - The member record (m/{id}, MemberRecord) and every journal entry name a
//   member by its id only. The record's profile keeps what pricing and
//   metrics need and identifies no one (region, segments, enroll time,
//   referral code); the birthday's month and day are kept beside it
//   (MemberRecord.birthday) for birthday rules and gifts.
// - The personal fields (display_name, email, phone, birth_date,
//   card_number) are sealed under a key of the member's own (profile_seal.h)
//   in "pii/{id}/profile", the key in "pii/{id}/key"; the search index
//   (member_index.h) is written and deleted in the same operation.
// - An erasure deletes the key, the sealed profile and the index records,
//   forfeits the balances left by an ERASURE entry (points to breakage,
//   cashback to program/cashback/{CUR}/forfeited), and marks the record
//   erased: every later operation on the id is refused (MEMBER_ERASED) and
//   it can never be enrolled again. The journal and its hashes are
//   untouched: they hold no personal data.
// - Stored answers of Enroll and UpdateMember (kept under their request ids)
//   hold the profile without its personal fields; the reply merges them in
//   from the request (Enroll) or the sealed profile (UpdateMember).
// Decisions run on the ledger's writer; reads on the caller's thread.
#ifndef LOYALTY_ENGINE_PROGRAM_MEMBER_DATA_H_
#define LOYALTY_ENGINE_PROGRAM_MEMBER_DATA_H_

#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/base/profile_seal.h"
#include "engine/ledger/ledger.h"
#include "engine/ledger/transaction.h"
#include "loyalty/v1/members.pb.h"
#include "loyalty/v1/storage.pb.h"

namespace loyalty::program {

inline constexpr char kErasedReason[] = "MEMBER_ERASED";

// A key and a nonce drawn off the writer thread for one sealing.
struct ProfileSecrets {
  std::string key;  // used only when the member has no key yet
  std::string nonce;
};
ProfileSecrets NewProfileSecrets();

// INVALID_ARGUMENT naming the first profile field that breaks its rule
// (lengths, the birth date's form, the member id's characters).
absl::Status CheckProfile(const loyalty::v1::MemberProfile& profile);

// Writer: seals `profile`'s personal fields under the member's key (a new
// one from `secrets` when it has none) and brings the index from `before`'s
// personal fields (empty for a new member) to `profile`'s.
absl::Status StagePersonal(const loyalty::v1::MemberProfile& profile,
                           const loyalty::v1::MemberProfile& before,
                           const ProfileSecrets& secrets,
                           ledger::Transaction& transaction);
// Writer: deletes the member's key, sealed profile and index records
// (`personal` names them: its member_id and personal fields).
void UnstagePersonal(const loyalty::v1::MemberProfile& personal,
                     ledger::Transaction& transaction);
// Writer: the member's personal fields as this operation sees them (an
// empty profile when the member has none stored).
absl::StatusOr<loyalty::v1::MemberProfile> StagedPersonal(
    absl::string_view member_id, ledger::Transaction& transaction);

// Reader: the member's sealed personal fields as last written; nullopt
// when none are stored.
absl::StatusOr<std::optional<loyalty::v1::MemberProfile>> ReadSealed(
    const ledger::Ledger& ledger, absl::string_view member_id);
// Reader: the whole profile of a member record.
absl::StatusOr<loyalty::v1::MemberProfile> FullProfile(
    const ledger::Ledger& ledger, const loyalty::v1::MemberRecord& record);

namespace internal {

// The decisions (the response, serialized, without personal fields).
absl::StatusOr<std::string> DecideUpdateMember(
    const loyalty::v1::UpdateMemberRequest& request, const std::string& actor,
    const ProfileSecrets& secrets, ledger::Transaction& transaction);
absl::StatusOr<std::string> DecideEraseMember(
    const loyalty::v1::EraseMemberRequest& request, const std::string& actor,
    ledger::Transaction& transaction);
// The ERASURE entry's forfeiture alone (the simulation replays it): every
// point available or pending and every cashback wallet of the member, with
// its counters. Fills `response` with what was forfeited.
absl::StatusOr<int64_t> AppendForfeiture(
    absl::string_view member_id, const std::string& actor,
    ledger::Transaction& transaction,
    loyalty::v1::EraseMemberResponse* response);

}  // namespace internal
}  // namespace loyalty::program

#endif  // LOYALTY_ENGINE_PROGRAM_MEMBER_DATA_H_

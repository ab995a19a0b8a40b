// What clients and the evaluator see of a stored member record.
#ifndef LOYALTY_ENGINE_PROGRAM_MEMBER_VIEW_H_
#define LOYALTY_ENGINE_PROGRAM_MEMBER_VIEW_H_

#include <cstdint>
#include <optional>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "engine/evaluator/evaluator.h"
#include "engine/ledger/transaction.h"
#include "loyalty/v1/storage.pb.h"
#include "loyalty/v1/types.pb.h"

namespace loyalty::program {

loyalty::v1::Balance BalanceOf(const loyalty::v1::MemberRecord& record);

// The member as the evaluator needs it to price a purchase in `currency` at
// `when` with `rules`: balances, profile, counters, and the usage of the
// caps those rules read at that time.
evaluator::MemberState MemberStateOf(const loyalty::v1::MemberRecord& record,
                                     const evaluator::CompiledRules& rules,
                                     absl::string_view currency,
                                     absl::Time when);

// The member's birthday, for birthday rules and gifts: the month and day of
// MemberRecord.birthday (in the year 2000), or, in a record written before
// profiles were sealed, the profile's birth date; nullopt when unknown.
std::optional<absl::CivilDay> BirthdayOf(
    const loyalty::v1::MemberRecord& record);

// The member's cashback wallet in `currency`; 0 when it has none.
int64_t CashbackIn(const loyalty::v1::MemberRecord& record,
                   absl::string_view currency);

// The one answer to a request that names a member who does not exist:
// NOT_FOUND with reason UNKNOWN_MEMBER, naming the request's `field`.
absl::Status UnknownMember(absl::string_view member_id,
                           absl::string_view field);

// `read`, a read of member `member_id` (from a Transaction or the Ledger),
// with its NOT_FOUND turned into UnknownMember(member_id, field).
template <typename Record>
absl::StatusOr<Record> KnownMember(absl::StatusOr<Record> read,
                                   absl::string_view member_id,
                                   absl::string_view field) {
  if (read.status().code() == absl::StatusCode::kNotFound) {
    return UnknownMember(member_id, field);
  }
  return read;
}

// The member's record as `transaction` sees it; UnknownMember naming
// `field` when there is no such member, FAILED_PRECONDITION (MEMBER_ERASED)
// when it was erased.
absl::StatusOr<const loyalty::v1::MemberRecord*> ExistingMember(
    ledger::Transaction& transaction, absl::string_view member_id,
    absl::string_view field);

}  // namespace loyalty::program

#endif  // LOYALTY_ENGINE_PROGRAM_MEMBER_VIEW_H_

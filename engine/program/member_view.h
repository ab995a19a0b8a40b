// What clients and the evaluator see of a stored member record.
#ifndef LOYALTY_ENGINE_PROGRAM_MEMBER_VIEW_H_
#define LOYALTY_ENGINE_PROGRAM_MEMBER_VIEW_H_

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
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

// The member's record as `transaction` sees it; NOT_FOUND (UNKNOWN_MEMBER)
// naming `field` when there is no such member.
absl::StatusOr<const loyalty::v1::MemberRecord*> ExistingMember(
    ledger::Transaction& transaction, absl::string_view member_id,
    absl::string_view field);

}  // namespace loyalty::program

#endif  // LOYALTY_ENGINE_PROGRAM_MEMBER_VIEW_H_

// Upkeep: the program's housekeeping of one member as time passes.
//
//   release   pending lots whose release time has come become available
//             lots, keeping their earn and expiry dates and their sequence;
//   expiry    available lots whose expiry time has come move to the breakage
//             account program/points/expired;
//   birthday  the rule set's birthday gift, once per member per year, in the
//             birthday week or month (program time zone);
//   review    the tier review when its date has come (tiers.h).
//
// What is due is written as ONE entry of kind UPKEEP, before the operation
// that needs it (a commit must not burn expired points nor miss released
// ones) in the same atomic write, or by the maintenance run
// (Operations::RunExpiry), which visits every member. Nothing due writes
// nothing, so running upkeep twice moves nothing the second time.
#ifndef LOYALTY_ENGINE_PROGRAM_UPKEEP_H_
#define LOYALTY_ENGINE_PROGRAM_UPKEEP_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "engine/evaluator/evaluator.h"
#include "engine/ledger/transaction.h"
#include "loyalty/v1/storage.pb.h"
#include "loyalty/v1/types.pb.h"

namespace loyalty::program {

struct UpkeepFigures {
  int64_t points_released = 0;
  int64_t points_expired = 0;
  int64_t birthday_points = 0;
  bool tier_lowered = false;
  bool written = false;  // an UPKEEP entry was appended
};

// True when something is due for `member` at `now` (a cheap test on a
// record read outside the writer, so the maintenance run skips the rest).
bool UpkeepDue(const evaluator::CompiledRules& rules,
               const loyalty::v1::MemberRecord& member, absl::Time now);

// Appends the UPKEEP entry of what is due for the member at
// transaction.now(), if anything is.
absl::StatusOr<UpkeepFigures> RunUpkeep(const evaluator::CompiledRules& rules,
                                        ledger::Transaction& transaction,
                                        absl::string_view member_id);

// The member's balance as it stands at `now`, with the upkeep that is due
// counted as done (reads show released points as available and expired
// points as gone at once, before any write), and the figures GetBalance
// adds: tier progress, points expiring within 30 days, the next release.
loyalty::v1::Balance BalanceAt(const evaluator::CompiledRules& rules,
                               const loyalty::v1::MemberRecord& member,
                               absl::Time now);

// The expiry time of points earned at `earn_time` (unset: never), and the
// release time of points earned then (unset: no holding period).
std::optional<absl::Time> ExpiryFor(const evaluator::CompiledRules& rules,
                                    absl::Time earn_time);
std::optional<absl::Time> ReleaseFor(const evaluator::CompiledRules& rules,
                                     absl::Time earn_time);

}  // namespace loyalty::program

#endif  // LOYALTY_ENGINE_PROGRAM_UPKEEP_H_

// Tier progress and tier changes (rules.proto TierSettings).
//
// A member record keeps what counts toward tiers per period: per day for a
// ROLLING window, per calendar year (program time zone) for CALENDAR_YEAR.
// A commit adds the purchase (spend paid in money, points earned, one visit)
// and raises the tier at once when a threshold is crossed; a refund takes
// its share back but never lowers the tier. Only a review lowers a tier:
// every review_days after the tier was reached (ROLLING), or at the start of
// each calendar year (CALENDAR_YEAR, where the year just ended or the
// current one may qualify). A member short at a review keeps the tier for
// grace_days more and is reviewed again then.
#ifndef LOYALTY_ENGINE_PROGRAM_TIERS_H_
#define LOYALTY_ENGINE_PROGRAM_TIERS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "engine/evaluator/evaluator.h"
#include "loyalty/v1/storage.pb.h"
#include "loyalty/v1/types.pb.h"

namespace loyalty::program {

// True when the rule set has tiers.
bool HasTiers(const evaluator::CompiledRules& rules);

// The index of the member's tier in tiers.levels (0 when the stored tier is
// empty or no longer in the rule set).
int CurrentTierIndex(const evaluator::CompiledRules& rules,
                     const loyalty::v1::MemberRecord& member);

// The period a purchase at `time` counts in ("2026-06-15" or "2026"); empty
// without tiers.
std::string QualifyingPeriodAt(const evaluator::CompiledRules& rules,
                               absl::Time time);

// Adds (or with negative amounts, takes back) progress in `period`, never
// below 0, and drops periods that no window can read at `now` any more.
void AddQualifying(const evaluator::CompiledRules& rules,
                   const std::string& period, int64_t spend_minor,
                   int64_t points_earned, int64_t visits, absl::Time now,
                   loyalty::v1::MemberRecord* member);

// What counts toward tiers at `now`, in the rule set's measure: the rolling
// window's sum, or the current calendar year.
int64_t QualifyingAt(const evaluator::CompiledRules& rules,
                     const loyalty::v1::MemberRecord& member, absl::Time now);

// The tier the member held at `when`: the tier before the first recorded
// change after `when`; nullopt when the tier has not changed since (it is
// the member's current one). Exact for any `when` within
// kMaxBackdateHorizon (time_bounds.h): changes are kept that long, and at
// most kMaxTierChanges of them (a tier changes at a sale that crosses a
// threshold or at a review, far fewer times than that in a year).
inline constexpr int kMaxTierChanges = 64;
std::optional<std::string> TierAt(const loyalty::v1::MemberRecord& member,
                                  absl::Time when);

// Puts a new member at the first level.
void StartTier(const evaluator::CompiledRules& rules,
               loyalty::v1::MemberRecord* member);

// At a commit: raises the tier when the qualifying amount reaches a higher
// level, starting a new review period. True when the tier changed.
bool RaiseTier(const evaluator::CompiledRules& rules, absl::Time now,
               loyalty::v1::MemberRecord* member);

enum class Review { kNotDue, kKept, kGraceStarted, kLowered };

// Reviews the tier when its review time has come (see the top of the file).
Review ReviewTier(const evaluator::CompiledRules& rules, absl::Time now,
                  loyalty::v1::MemberRecord* member);

// Where the member stands, for GetBalance.
loyalty::v1::TierProgress ProgressOf(const evaluator::CompiledRules& rules,
                                     const loyalty::v1::MemberRecord& member,
                                     absl::Time now);

}  // namespace loyalty::program

#endif  // LOYALTY_ENGINE_PROGRAM_TIERS_H_

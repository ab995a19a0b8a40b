#include "engine/program/tiers.h"

#include <algorithm>

#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "engine/base/time_util.h"
#include "engine/evaluator/tiers.h"
#include "engine/program/time_bounds.h"

namespace loyalty::program {
namespace {

using loyalty::v1::MemberRecord;
using loyalty::v1::QualifyingPeriod;
using loyalty::v1::TierSettings;

const TierSettings& Tiers(const evaluator::CompiledRules& rules) {
  return rules.rule_set().tiers();
}

bool Rolling(const TierSettings& tiers) {
  return tiers.window() != loyalty::v1::TIER_WINDOW_CALENDAR_YEAR;
}

int64_t MeasureOf(const TierSettings& tiers, const QualifyingPeriod& period) {
  switch (tiers.measure()) {
    case loyalty::v1::TIER_MEASURE_POINTS_EARNED: return period.points_earned();
    case loyalty::v1::TIER_MEASURE_VISITS: return period.visits();
    default: return period.spend_minor();
  }
}

absl::CivilDay DayAt(const evaluator::CompiledRules& rules, absl::Time time) {
  return absl::ToCivilDay(time, rules.time_zone());
}

std::string DayKey(absl::CivilDay day) {
  return absl::StrFormat("%04d-%02d-%02d", day.year(), day.month(), day.day());
}

std::string YearKey(int64_t year) { return absl::StrFormat("%04d", year); }

// The first day of the rolling window that ends today.
absl::CivilDay WindowStart(const evaluator::CompiledRules& rules, absl::Time now) {
  return DayAt(rules, now) - (std::max<int64_t>(Tiers(rules).window_days(), 1) - 1);
}

// Sum of the measure over periods with keys in [from, to] (keys sort as
// dates do).
int64_t SumBetween(const TierSettings& tiers, const MemberRecord& member,
                   const std::string& from, const std::string& to) {
  int64_t sum = 0;
  for (const QualifyingPeriod& period : member.qualifying()) {
    if (period.period() >= from && period.period() <= to) {
      sum += MeasureOf(tiers, period);
    }
  }
  return sum;
}

// At a review: the window's sum, or for calendar years the better of the
// year just ended and the current one.
int64_t QualifyingForReview(const evaluator::CompiledRules& rules,
                            const MemberRecord& member, absl::Time now) {
  const TierSettings& tiers = Tiers(rules);
  if (Rolling(tiers)) return QualifyingAt(rules, member, now);
  const int64_t year = DayAt(rules, now).year();
  return std::max(SumBetween(tiers, member, YearKey(year - 1), YearKey(year - 1)),
                  SumBetween(tiers, member, YearKey(year), YearKey(year)));
}

int64_t ReviewDays(const TierSettings& tiers) {
  return tiers.review_days() > 0 ? tiers.review_days()
                                 : std::max<int64_t>(tiers.window_days(), 1);
}

// The next review after `from`, and after `now`.
absl::Time NextReview(const evaluator::CompiledRules& rules, absl::Time from,
                      absl::Time now) {
  const TierSettings& tiers = Tiers(rules);
  if (!Rolling(tiers)) {
    const absl::CivilYear next = absl::CivilYear(DayAt(rules, std::max(from, now))) + 1;
    return absl::FromCivil(absl::CivilSecond(next), rules.time_zone());
  }
  const absl::Duration period = absl::Hours(24) * ReviewDays(tiers);
  absl::Time next = from + period;
  if (next <= now) next += period * ((now - next) / period + 1);
  return next;
}

// Sets the tier, recording the change at `at` in the tier history, which
// keeps the changes of the back-dating horizon before `now` only.
void ChangeTier(const std::string& tier, absl::Time at, absl::Time now,
                MemberRecord* member) {
  if (member->tier() == tier) return;
  auto& history = *member->mutable_tier_history();
  loyalty::v1::TierChange* change = history.Add();
  *change->mutable_change_time() = ToTimestamp(at);
  change->set_tier_before(member->tier());
  change->set_tier_after(tier);
  member->set_tier(tier);
  const absl::Time oldest = now - kMaxBackdateHorizon;
  int drop = 0;
  while (drop < history.size() &&
         (history.size() - drop > kMaxTierChanges ||
          FromTimestamp(history.Get(drop).change_time()) < oldest)) {
    ++drop;
  }
  if (drop > 0) history.DeleteSubrange(0, drop);
}

}  // namespace

std::optional<std::string> TierAt(const MemberRecord& member, absl::Time when) {
  for (const loyalty::v1::TierChange& change : member.tier_history()) {
    if (FromTimestamp(change.change_time()) > when) return change.tier_before();
  }
  return std::nullopt;
}

bool HasTiers(const evaluator::CompiledRules& rules) {
  return Tiers(rules).levels_size() > 0;
}

int CurrentTierIndex(const evaluator::CompiledRules& rules,
                     const MemberRecord& member) {
  return std::max(evaluator::TierIndexOf(Tiers(rules), member.tier()), 0);
}

std::string QualifyingPeriodAt(const evaluator::CompiledRules& rules,
                               absl::Time time) {
  if (!HasTiers(rules)) return "";
  const absl::CivilDay day = DayAt(rules, time);
  return Rolling(Tiers(rules)) ? DayKey(day) : YearKey(day.year());
}

void AddQualifying(const evaluator::CompiledRules& rules,
                   const std::string& period, int64_t spend_minor,
                   int64_t points_earned, int64_t visits, absl::Time now,
                   MemberRecord* member) {
  if (period.empty()) return;
  auto& periods = *member->mutable_qualifying();
  auto it = std::find_if(periods.begin(), periods.end(),
                         [&](const QualifyingPeriod& p) { return p.period() >= period; });
  if (it == periods.end() || it->period() != period) {
    if (spend_minor <= 0 && points_earned <= 0 && visits <= 0) return;
    const int index = static_cast<int>(it - periods.begin());
    periods.Add()->set_period(period);
    std::rotate(periods.begin() + index, periods.end() - 1, periods.end());
    it = periods.begin() + index;
  }
  it->set_spend_minor(std::max<int64_t>(it->spend_minor() + spend_minor, 0));
  it->set_points_earned(std::max<int64_t>(it->points_earned() + points_earned, 0));
  it->set_visits(std::max<int64_t>(it->visits() + visits, 0));
  // Keep what a window or a review can still read: the rolling window, or
  // the current and the previous calendar year.
  const std::string oldest =
      Rolling(Tiers(rules)) ? DayKey(WindowStart(rules, now))
                            : YearKey(DayAt(rules, now).year() - 1);
  periods.erase(std::remove_if(periods.begin(), periods.end(),
                               [&](const QualifyingPeriod& p) {
                                 return p.period() < oldest ||
                                        (p.spend_minor() == 0 &&
                                         p.points_earned() == 0 && p.visits() == 0);
                               }),
                periods.end());
}

int64_t QualifyingAt(const evaluator::CompiledRules& rules,
                     const MemberRecord& member, absl::Time now) {
  if (!HasTiers(rules)) return 0;
  const TierSettings& tiers = Tiers(rules);
  if (Rolling(tiers)) {
    return SumBetween(tiers, member, DayKey(WindowStart(rules, now)),
                      DayKey(DayAt(rules, now)));
  }
  const std::string year = YearKey(DayAt(rules, now).year());
  return SumBetween(tiers, member, year, year);
}

void StartTier(const evaluator::CompiledRules& rules, MemberRecord* member) {
  if (HasTiers(rules)) member->set_tier(Tiers(rules).levels(0).id());
}

bool RaiseTier(const evaluator::CompiledRules& rules, absl::Time now,
               MemberRecord* member) {
  if (!HasTiers(rules)) return false;
  const TierSettings& tiers = Tiers(rules);
  const int current = CurrentTierIndex(rules, *member);
  const int reached = evaluator::TierIndexFor(tiers, QualifyingAt(rules, *member, now));
  if (reached <= current && member->tier() == tiers.levels(current).id()) {
    return false;
  }
  const int level = std::max(reached, current);
  ChangeTier(tiers.levels(level).id(), now, now, member);
  if (reached > current) {
    member->set_tier_in_grace(false);
    *member->mutable_tier_review_time() = ToTimestamp(NextReview(rules, now, now));
  }
  return true;
}

Review ReviewTier(const evaluator::CompiledRules& rules, absl::Time now,
                  MemberRecord* member) {
  if (!HasTiers(rules) || !member->has_tier_review_time()) return Review::kNotDue;
  const absl::Time due = FromTimestamp(member->tier_review_time());
  if (now < due) return Review::kNotDue;
  const TierSettings& tiers = Tiers(rules);
  const int current = CurrentTierIndex(rules, *member);
  const int reached = evaluator::TierIndexFor(tiers, QualifyingForReview(rules, *member, now));
  if (reached >= current) {
    ChangeTier(tiers.levels(reached).id(), due, now, member);
    member->set_tier_in_grace(false);
    *member->mutable_tier_review_time() = ToTimestamp(NextReview(rules, due, now));
    return Review::kKept;
  }
  // Short: the grace period, counted from the review date, unless a late
  // review finds it over already.
  const absl::Time grace_end = due + absl::Hours(24) * tiers.grace_days();
  if (tiers.grace_days() > 0 && !member->tier_in_grace() && grace_end > now) {
    member->set_tier_in_grace(true);
    *member->mutable_tier_review_time() = ToTimestamp(grace_end);
    return Review::kGraceStarted;
  }
  ChangeTier(tiers.levels(reached).id(), due, now, member);
  member->set_tier_in_grace(false);
  if (reached == 0) {
    member->clear_tier_review_time();
  } else {
    *member->mutable_tier_review_time() = ToTimestamp(NextReview(rules, now, now));
  }
  return Review::kLowered;
}

loyalty::v1::TierProgress ProgressOf(const evaluator::CompiledRules& rules,
                                     const MemberRecord& member, absl::Time now) {
  loyalty::v1::TierProgress progress;
  if (!HasTiers(rules)) return progress;
  const TierSettings& tiers = Tiers(rules);
  const int current = CurrentTierIndex(rules, member);
  const loyalty::v1::Tier& tier = tiers.levels(current);
  progress.set_tier(tier.id());
  progress.set_tier_name(tier.name());
  progress.set_measure(std::string(evaluator::TierMeasureName(tiers.measure())));
  if (tiers.measure() == loyalty::v1::TIER_MEASURE_SPEND) {
    progress.set_currency(rules.rule_set().program().currency());
  }
  progress.set_qualifying(QualifyingAt(rules, member, now));
  if (current + 1 < tiers.levels_size()) {
    const loyalty::v1::Tier& next = tiers.levels(current + 1);
    progress.set_next_tier(next.id());
    progress.set_next_threshold(next.threshold());
    progress.set_missing(std::max<int64_t>(next.threshold() - progress.qualifying(), 0));
  }
  if (member.has_tier_review_time()) {
    *progress.mutable_review_time() = member.tier_review_time();
  }
  progress.set_in_grace(member.tier_in_grace());
  *progress.mutable_perks() = tier.benefits().perks();
  return progress;
}

}  // namespace loyalty::program

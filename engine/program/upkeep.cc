#include "engine/program/upkeep.h"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/civil_time.h"
#include "engine/analytics/counters.h"
#include "engine/base/status_macros.h"
#include "engine/base/time_util.h"
#include "engine/ledger/accounts.h"
#include "engine/program/member_view.h"
#include "engine/program/postings.h"
#include "engine/program/tiers.h"

namespace loyalty::program {
namespace {

using loyalty::v1::MemberRecord;
using loyalty::v1::PointLot;

constexpr absl::Duration kDay = absl::Hours(24);
constexpr absl::Duration kExpiringWindow = absl::Hours(24 * 30);

bool DueBy(const google::protobuf::Timestamp& time, absl::Time now) {
  return FromTimestamp(time) <= now;
}

// What upkeep would do for a member at `now`.
struct Due {
  std::vector<const PointLot*> released;  // pending lots due, in order
  int64_t points_released = 0;
  int64_t points_expired = 0;
  int64_t birthday_points = 0;
  int birthday_year = 0;
  bool review = false;
  bool any() const {
    return points_released > 0 || points_expired > 0 || birthday_points > 0 ||
           review;
  }
};

bool ExpiredBy(const PointLot& lot, absl::Time now) {
  return lot.has_expire_time() && DueBy(lot.expire_time(), now);
}

// Calls visit(lot, amount) for every available lot as it will be once the
// `released` pending lots are available: a release first fills a negative
// balance and makes a lot only of what is above zero, as the ledger does.
template <typename Visit>
void ForEachLotAfterRelease(const MemberRecord& member,
                            const std::vector<const PointLot*>& released, Visit visit) {
  for (const PointLot& lot : member.lots()) visit(lot, lot.remaining());
  int64_t available = member.points_available();
  for (const PointLot* lot : released) {
    const int64_t after = available + lot->remaining();
    if (after > 0) visit(*lot, std::min(lot->remaining(), after));
    available = after;
  }
}

// The birthday gift's year when it is due at `now`, else 0.
int BirthdayDue(const evaluator::CompiledRules& rules, const MemberRecord& member,
                absl::Time now) {
  const loyalty::v1::BirthdayGift& gift = rules.rule_set().birthday();
  const std::optional<absl::CivilDay> birthday_of = BirthdayOf(member);
  if (gift.points() <= 0 || !birthday_of.has_value()) return 0;
  const absl::CivilDay birth = *birthday_of;
  const absl::CivilDay today = absl::ToCivilDay(now, rules.time_zone());
  if (member.birthday_gift_year() >= today.year()) return 0;
  if (gift.when() == loyalty::v1::BIRTHDAY_WHEN_WEEK) {
    // The Monday-to-Sunday week of this year's birthday (29 February falls
    // on 1 March in other years).
    const absl::CivilDay birthday(today.year(), birth.month(), birth.day());
    const absl::CivilDay monday =
        absl::PrevWeekday(birthday + 1, absl::Weekday::monday);
    if (today < monday || today > monday + 6) return 0;
  } else if (today.month() != birth.month()) {
    return 0;
  }
  return static_cast<int>(today.year());
}

Due DueAt(const evaluator::CompiledRules& rules, const MemberRecord& member,
          absl::Time now) {
  Due due;
  for (const PointLot& lot : member.pending_lots()) {
    if (lot.has_release_time() && DueBy(lot.release_time(), now)) {
      due.released.push_back(&lot);
      due.points_released += lot.remaining();
    }
  }
  ForEachLotAfterRelease(member, due.released, [&](const PointLot& lot, int64_t amount) {
    if (ExpiredBy(lot, now)) due.points_expired += amount;
  });
  due.birthday_year = BirthdayDue(rules, member, now);
  if (due.birthday_year != 0) due.birthday_points = rules.rule_set().birthday().points();
  due.review = HasTiers(rules) && member.has_tier_review_time() &&
               DueBy(member.tier_review_time(), now);
  return due;
}

// A posting of points.
void AddPosting(loyalty::v1::JournalEntry& entry, const std::string& account,
                int64_t amount) {
  Post(&entry, account, ledger::kPointsAsset, amount);
}

// The release of the pending lots due: one debit of pending points, one
// credit per lot keeping its sequence, dates and funder.
void PostRelease(const MemberRecord& member, const Due& due, absl::Time now,
                 loyalty::v1::JournalEntry& entry) {
  const std::string& id = entry.member_id();
  AddPosting(entry, ledger::MemberPointsPending(id), -due.points_released);
  *entry.mutable_postings()->rbegin()->mutable_lot_release_time() =
      ToTimestamp(now);
  int64_t available = member.points_available();
  for (const PointLot* lot : due.released) {
    AddPosting(entry, ledger::MemberPointsAvailable(id), lot->remaining());
    loyalty::v1::Posting& credit = *entry.mutable_postings()->rbegin();
    credit.set_from_lot_sequence(lot->sequence());
    *credit.mutable_lot_earn_time() = lot->earn_time();
    if (lot->has_expire_time())
      *credit.mutable_lot_expire_time() = lot->expire_time();
    credit.set_lot_partner_id(lot->partner_id());
    // Partner-funded points that only fill a negative balance make no
    // lot: the program funds them instead (engine/program/partners.h).
    const int64_t filling =
        std::min(lot->remaining(), std::max<int64_t>(-available, 0));
    available += lot->remaining();
    if (filling > 0 && !lot->partner_id().empty()) {
      AddPosting(entry, ledger::PointsIssued(lot->partner_id()), filling);
      entry.mutable_postings()->rbegin()->set_lot_partner_id(lot->partner_id());
      AddPosting(entry, std::string(ledger::kProgramPointsIssued), -filling);
    }
  }
}

// The expiry of the lots due, once released lots are counted: one debit per
// funder of the expired lots, so that partner-funded lots stay matched by
// their funding postings (engine/ledger/accounts.h).
void PostExpiry(const MemberRecord& member, const Due& due, absl::Time now,
                loyalty::v1::JournalEntry& entry) {
  const std::string& id = entry.member_id();
  std::map<std::string, int64_t> by_funder;
  ForEachLotAfterRelease(member, due.released,
                         [&](const PointLot& lot, int64_t amount) {
                           if (ExpiredBy(lot, now))
                             by_funder[lot.partner_id()] += amount;
                         });
  for (const auto& [funder, points] : by_funder) {
    if (points == 0) continue;
    AddPosting(entry, ledger::MemberPointsAvailable(id), -points);
    loyalty::v1::Posting& debit = *entry.mutable_postings()->rbegin();
    *debit.mutable_lot_expire_time() = ToTimestamp(now);
    debit.set_lot_partner_id(funder);
    debit.set_by_lot_partner(true);
    AddPosting(entry, std::string(ledger::kProgramPointsExpired), points);
    entry.mutable_postings()->rbegin()->set_lot_partner_id(funder);
  }
}

// The birthday gift, a lot that lives as long as earned points.
void PostBirthday(const evaluator::CompiledRules& rules, const Due& due,
                  absl::Time now, loyalty::v1::JournalEntry& entry) {
  AddPosting(entry, std::string(ledger::kProgramPointsIssued),
             -due.birthday_points);
  AddPosting(entry, ledger::MemberPointsAvailable(entry.member_id()),
             due.birthday_points);
  if (auto expiry = ExpiryFor(rules, now)) {
    *entry.mutable_postings()->rbegin()->mutable_lot_expire_time() =
        ToTimestamp(*expiry);
  }
}

// What a tier review did, in the words of the entry's description.
std::string SayReview(const evaluator::CompiledRules& rules, Review review,
                      const MemberRecord& before,
                      const MemberRecord& reviewed) {
  switch (review) {
    case Review::kKept:
      return absl::StrCat("tier ", reviewed.tier(), " kept");
    case Review::kGraceStarted:
      return absl::StrCat(
          "tier ", reviewed.tier(), " kept in grace until ",
          absl::FormatTime("%Y-%m-%d",
                           FromTimestamp(reviewed.tier_review_time()),
                           rules.time_zone()));
    case Review::kLowered:
      return absl::StrCat("tier lowered from ", before.tier(), " to ",
                          reviewed.tier());
    case Review::kNotDue:
      break;
  }
  return "";
}

// The UPKEEP entry of what is due, and the member's tier as the review
// leaves it (a copy, so that the entry can name the new tier; the review
// is kNotDue when none was due).
struct UpkeepEntry {
  loyalty::v1::JournalEntry entry;
  MemberRecord reviewed;
  Review review = Review::kNotDue;
};

UpkeepEntry BuildUpkeepEntry(const evaluator::CompiledRules& rules,
                             const MemberRecord& member, const std::string& id,
                             const Due& due, absl::Time now) {
  UpkeepEntry upkeep;
  loyalty::v1::JournalEntry& entry = upkeep.entry;
  entry.set_kind(loyalty::v1::ENTRY_KIND_UPKEEP);
  entry.set_member_id(id);
  std::vector<std::string> said;
  if (due.points_released > 0) {
    PostRelease(member, due, now, entry);
    said.push_back(absl::StrCat("released ", due.points_released, " points"));
  }
  if (due.points_expired > 0) {
    PostExpiry(member, due, now, entry);
    said.push_back(absl::StrCat("expired ", due.points_expired, " points"));
  }
  if (due.birthday_points > 0) {
    PostBirthday(rules, due, now, entry);
    said.push_back(
        absl::StrCat("birthday gift of ", due.birthday_points, " points"));
  }
  if (due.review) {
    upkeep.reviewed = member;
    upkeep.review = ReviewTier(rules, now, &upkeep.reviewed);
    entry.set_tier_before(member.tier());
    entry.set_tier_after(upkeep.reviewed.tier());
    if (upkeep.review != Review::kNotDue) {
      said.push_back(SayReview(rules, upkeep.review, member, upkeep.reviewed));
    }
  }
  entry.set_description(absl::StrJoin(said, "; "));
  return upkeep;
}

// After the entry is appended: the birthday year and the reviewed tier.
void RecordUpkeep(const Due& due, const UpkeepEntry& upkeep,
                  MemberRecord* member) {
  if (due.birthday_year != 0) member->set_birthday_gift_year(due.birthday_year);
  if (upkeep.review == Review::kNotDue) return;
  const MemberRecord& reviewed = upkeep.reviewed;
  member->set_tier(reviewed.tier());
  member->set_tier_in_grace(reviewed.tier_in_grace());
  if (reviewed.has_tier_review_time()) {
    *member->mutable_tier_review_time() = reviewed.tier_review_time();
  } else {
    member->clear_tier_review_time();
  }
}

}  // namespace

std::optional<absl::Time> ExpiryFor(const evaluator::CompiledRules& rules,
                                    absl::Time earn_time) {
  const int64_t days = rules.rule_set().points().lifetime_days();
  if (days <= 0) return std::nullopt;
  return earn_time + days * kDay;
}

std::optional<absl::Time> ReleaseFor(const evaluator::CompiledRules& rules,
                                     absl::Time earn_time) {
  const int64_t days = rules.rule_set().points().pending_days();
  if (days <= 0) return std::nullopt;
  return earn_time + days * kDay;
}

bool UpkeepDue(const evaluator::CompiledRules& rules, const MemberRecord& member,
               absl::Time now) {
  return DueAt(rules, member, now).any();
}

absl::StatusOr<UpkeepFigures> RunUpkeep(const evaluator::CompiledRules& rules,
                                        ledger::Transaction& transaction,
                                        absl::string_view member_id) {
  const absl::Time now = transaction.now();
  ASSIGN_OR_RETURN(const MemberRecord* member, transaction.Member(member_id));
  const Due due = DueAt(rules, *member, now);
  UpkeepFigures figures;
  if (!due.any()) return figures;

  const std::string id(member_id);
  const UpkeepEntry upkeep = BuildUpkeepEntry(rules, *member, id, due, now);
  const size_t consumed_before = transaction.consumed_lots().size();
  RETURN_IF_ERROR(transaction.Append(upkeep.entry).status());
  ASSIGN_OR_RETURN(MemberRecord * after, transaction.MutableMember(id));
  RecordUpkeep(due, upkeep, after);
  analytics::CountPointMoves(upkeep.entry,
                             ConsumedSince(transaction, consumed_before),
                             *after, transaction);

  figures.points_released = due.points_released;
  figures.points_expired = due.points_expired;
  figures.birthday_points = due.birthday_points;
  figures.tier_lowered = upkeep.review == Review::kLowered;
  figures.written = true;
  return figures;
}

loyalty::v1::Balance BalanceAt(const evaluator::CompiledRules& rules,
                               const MemberRecord& member, absl::Time now) {
  const Due due = DueAt(rules, member, now);
  loyalty::v1::Balance balance = BalanceOf(member);
  balance.set_points_available(member.points_available() + due.points_released -
                               due.points_expired + due.birthday_points);
  balance.set_points_pending(member.points_pending() - due.points_released);
  if (HasTiers(rules)) {
    // A copy only when a review is due, to show its outcome.
    std::optional<MemberRecord> reviewed;
    if (due.review) {
      reviewed = member;
      ReviewTier(rules, now, &*reviewed);
    }
    const MemberRecord& view = reviewed ? *reviewed : member;
    balance.set_tier(view.tier().empty() ? rules.rule_set().tiers().levels(0).id()
                                         : view.tier());
    *balance.mutable_tier_progress() = ProgressOf(rules, view, now);
  }
  int64_t expiring = 0;
  std::optional<absl::Time> first_expiry;
  ForEachLotAfterRelease(member, due.released, [&](const PointLot& lot, int64_t amount) {
    if (!lot.has_expire_time()) return;
    const absl::Time expiry = FromTimestamp(lot.expire_time());
    if (expiry <= now || expiry > now + kExpiringWindow) return;
    expiring += amount;
    if (!first_expiry || expiry < *first_expiry) first_expiry = expiry;
  });
  balance.set_points_expiring_30_days(expiring);
  if (first_expiry) *balance.mutable_next_expiry_time() = ToTimestamp(*first_expiry);
  for (const PointLot& lot : member.pending_lots()) {
    if (lot.has_release_time() && !DueBy(lot.release_time(), now)) {
      *balance.mutable_next_release_time() = lot.release_time();
      break;
    }
  }
  return balance;
}

}  // namespace loyalty::program

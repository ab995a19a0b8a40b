#include "engine/program/member_view.h"

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "engine/base/error.h"
#include "engine/base/status_macros.h"
#include "engine/base/time_util.h"

namespace loyalty::program {

loyalty::v1::Balance BalanceOf(const loyalty::v1::MemberRecord& record) {
  loyalty::v1::Balance balance;
  balance.set_member_id(record.profile().member_id());
  balance.set_points_available(record.points_available());
  balance.set_points_pending(record.points_pending());
  *balance.mutable_cashback_minor() = record.cashback();
  balance.set_tier(record.tier());
  return balance;
}

evaluator::MemberState MemberStateOf(const loyalty::v1::MemberRecord& record,
                                     const evaluator::CompiledRules& rules,
                                     absl::string_view currency,
                                     absl::Time when) {
  const loyalty::v1::MemberProfile& profile = record.profile();
  evaluator::MemberState state;
  state.member_id = profile.member_id();
  state.points_available = record.points_available();
  state.tier = record.tier();
  state.cashback_minor = CashbackIn(record, currency);
  state.segments.assign(profile.segments().begin(), profile.segments().end());
  state.region = profile.region();
  if (profile.has_enroll_time()) state.enroll_time = FromTimestamp(profile.enroll_time());
  state.birth_date = BirthdayOf(record);
  state.purchase_count = record.purchase_count();
  state.rewards_redeemed = record.rewards_redeemed();
  for (const std::string& key : evaluator::MemberUsageKeys(rules, when)) {
    auto it = record.rule_usage().find(key);
    if (it != record.rule_usage().end()) state.rule_usage[key] = it->second;
  }
  for (const auto& [code, uses] : record.promo_code_uses()) {
    state.promo_code_uses[code] = uses;
  }
  return state;
}

int64_t CashbackIn(const loyalty::v1::MemberRecord& record,
                   absl::string_view currency) {
  int64_t held = 0;
  for (const auto& wallet : record.cashback()) {
    if (wallet.currency() == currency) held = wallet.amount_minor();
  }
  return held;
}

std::optional<absl::CivilDay> BirthdayOf(
    const loyalty::v1::MemberRecord& record) {
  absl::CivilDay day;
  // 2000 is a leap year: a birthday on 29 February parses.
  if (!record.birthday().empty() &&
      absl::ParseCivilTime(absl::StrCat("2000-", record.birthday()), &day)) {
    return day;
  }
  if (absl::ParseCivilTime(record.profile().birth_date(), &day)) return day;
  return std::nullopt;
}

absl::Status UnknownMember(absl::string_view member_id,
                           absl::string_view field) {
  return NotFound("UNKNOWN_MEMBER", field,
                  absl::StrCat("no member with id ", Quoted(member_id)));
}

absl::StatusOr<const loyalty::v1::MemberRecord*> ExistingMember(
    ledger::Transaction& transaction, absl::string_view member_id,
    absl::string_view field) {
  ASSIGN_OR_RETURN(
      const loyalty::v1::MemberRecord* record,
      KnownMember(transaction.Member(member_id), member_id, field));
  if (record->erased()) {
    return FailedPrecondition(
        "MEMBER_ERASED", field,
        absl::StrCat("member ", Quoted(member_id), " was erased"));
  }
  return record;
}

}  // namespace loyalty::program

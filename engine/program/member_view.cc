#include "engine/program/member_view.h"

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "engine/base/error.h"
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
  absl::CivilDay birthday;
  if (absl::ParseCivilTime(profile.birth_date(), &birthday)) state.birth_date = birthday;
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

absl::Status UnknownMember(absl::string_view member_id,
                           absl::string_view field) {
  return NotFound("UNKNOWN_MEMBER", field,
                  absl::StrCat("no member with id ", Quoted(member_id)));
}

absl::StatusOr<const loyalty::v1::MemberRecord*> ExistingMember(
    ledger::Transaction& transaction, absl::string_view member_id,
    absl::string_view field) {
  return KnownMember(transaction.Member(member_id), member_id, field);
}

}  // namespace loyalty::program

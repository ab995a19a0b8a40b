#include "engine/program/member_view.h"

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
                                     absl::string_view currency) {
  evaluator::MemberState state;
  state.member_id = record.profile().member_id();
  state.points_available = record.points_available();
  state.tier = record.tier();
  for (const auto& wallet : record.cashback()) {
    if (wallet.currency() == currency) state.cashback_minor = wallet.amount_minor();
  }
  return state;
}

}  // namespace loyalty::program

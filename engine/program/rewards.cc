// RedeemReward: a catalogue reward bought with available points.
//
// The stock of a reward is a ledger counter ("reward/<id>", value 0: pieces
// given), read and raised on the writer thread in the same write as the
// entry, so two members can never both take the last piece.
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/analytics/counters.h"
#include "engine/base/error.h"
#include "engine/base/status_macros.h"
#include "engine/ledger/accounts.h"
#include "engine/program/decisions.h"
#include "engine/program/member_view.h"
#include "engine/program/operations.h"
#include "engine/program/partners.h"
#include "engine/program/postings.h"
#include "engine/program/submit.h"
#include "engine/program/upkeep.h"

namespace loyalty::program {
namespace {

std::string StockKey(absl::string_view reward_id) {
  return absl::StrCat("reward/", reward_id);
}

// The reward a redemption asks for, and how many pieces of it are given.
struct Asked {
  const loyalty::v1::Reward* reward = nullptr;  // in the rule set's catalogue
  int64_t given = 0;
};

// The reward `request` names: in the catalogue, valid now and in stock.
absl::StatusOr<Asked> FindReward(
    const loyalty::v1::RedeemRewardRequest& request,
    const evaluator::CompiledRules& rules, ledger::Transaction& transaction) {
  if (request.member_id().empty()) {
    return InvalidArgument("MISSING_FIELD", "member_id", "a member id is needed");
  }
  if (request.reward_id().empty()) {
    return InvalidArgument("MISSING_FIELD", "reward_id", "say which reward");
  }
  Asked asked;
  for (const auto& item : rules.rule_set().rewards()) {
    if (item.id() == request.reward_id()) asked.reward = &item;
  }
  if (asked.reward == nullptr) {
    return NotFound("UNKNOWN_REWARD", "reward_id",
                    absl::StrCat("no reward ", Quoted(request.reward_id()),
                                 " in the catalogue of rule set ", rules.version()));
  }
  const loyalty::v1::Reward& reward = *asked.reward;
  if (!evaluator::ValidAt(rules, reward.validity(), transaction.now())) {
    return FailedPrecondition(
        "REWARD_NOT_VALID_NOW", "reward_id",
        absl::StrCat("reward '", reward.id(),
                     "' cannot be redeemed at this time"));
  }
  asked.given = transaction.Counter(StockKey(reward.id()), 0);
  if (reward.has_stock() && asked.given >= reward.stock()) {
    return FailedPrecondition(
        "REWARD_OUT_OF_STOCK", "reward_id",
        absl::StrCat("all ", reward.stock(), " pieces of '", reward.id(),
                     "' are taken"));
  }
  return asked;
}

// The REWARD entry of member `member_id`: the reward's points taken from
// the lots of `member`, its record.
// Catalogue rewards are the operator's: points funded by a partner and
// spent here are its claim on that partner (engine/program/settlement.h).
loyalty::v1::JournalEntry RewardEntry(const loyalty::v1::Reward& reward,
                                      const evaluator::CompiledRules& rules,
                                      const std::string& member_id,
                                      const loyalty::v1::MemberRecord& member) {
  loyalty::v1::JournalEntry entry;
  entry.set_kind(loyalty::v1::ENTRY_KIND_REWARD);
  entry.set_member_id(member_id);
  entry.set_reward_id(reward.id());
  entry.set_rules_version(rules.version());
  entry.set_description(
      absl::StrCat("reward ", reward.id(), ": ", reward.description()));
  DebitLots(
      member, reward.points(), 0,
      [](const std::string&) {
        return std::string(ledger::kProgramPointsRedeemed);
      },
      &entry);
  entry.set_point_value_minor(rules.rule_set().program().point_value_minor());
  return entry;
}

// Appends the entry; a member short of points is told what the reward
// costs and what is available.
absl::StatusOr<int64_t> AppendRedemption(const loyalty::v1::JournalEntry& entry,
                                         const loyalty::v1::Reward& reward,
                                         ledger::Transaction& transaction) {
  auto sequence = transaction.Append(entry);
  if (ErrorReason(sequence.status()) == "INSUFFICIENT_POINTS") {
    ASSIGN_OR_RETURN(const loyalty::v1::MemberRecord* record,
                     transaction.Member(entry.member_id()));
    return FailedPrecondition(
        "INSUFFICIENT_POINTS", "reward_id",
        absl::StrCat("'", reward.id(), "' costs ", reward.points(), " points; ",
                     record->points_available(), " are available"));
  }
  return sequence;
}

}  // namespace

namespace internal {

absl::StatusOr<std::string> DecideRedeem(
    const loyalty::v1::RedeemRewardRequest& request,
    const evaluator::CompiledRules& rules, ledger::Transaction& transaction) {
  ASSIGN_OR_RETURN(const Asked asked, FindReward(request, rules, transaction));
  const loyalty::v1::Reward& reward = *asked.reward;
  RETURN_IF_ERROR(
      ExistingMember(transaction, request.member_id(), "member_id").status());
  RETURN_IF_ERROR(RunUpkeep(rules, transaction, request.member_id()).status());
  ASSIGN_OR_RETURN(const loyalty::v1::MemberRecord* current,
                   transaction.Member(request.member_id()));
  const loyalty::v1::JournalEntry entry =
      RewardEntry(reward, rules, request.member_id(), *current);
  const size_t consumed_before = transaction.consumed_lots().size();
  ASSIGN_OR_RETURN(const int64_t sequence,
                   AppendRedemption(entry, reward, transaction));
  transaction.AddCounter(StockKey(reward.id()), 0, 1);
  ASSIGN_OR_RETURN(loyalty::v1::MemberRecord * after,
                   transaction.MutableMember(request.member_id()));
  after->set_rewards_redeemed(after->rewards_redeemed() + 1);
  analytics::CountPointMoves(entry, ConsumedSince(transaction, consumed_before),
                             *after, transaction);
  loyalty::v1::RedeemRewardResponse response;
  response.set_transaction_id(absl::StrCat(sequence));
  response.set_points(reward.points());
  *response.mutable_balance() = BalanceAt(rules, *after, transaction.now());
  response.set_stock_left(reward.has_stock() ? reward.stock() - asked.given - 1
                                             : -1);
  return response.SerializeAsString();
}

}  // namespace internal

void Operations::RedeemReward(const loyalty::v1::RedeemRewardRequest& request,
                              Reply<loyalty::v1::RedeemRewardResponse> reply,
                              absl::Time deadline) {
  internal::SubmitToLedger(
      ledger_, request.request_id(),
      internal::Fingerprint("RedeemReward", request),
      [this, request](ledger::Transaction& t) {
        return internal::DecideRedeem(request, *book_.ActiveAt(t.now()), t);
      },
      std::move(reply), deadline);
}

}  // namespace loyalty::program

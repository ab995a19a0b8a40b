// reward list: the rewards catalogue of the active rule set (read from
// loyalty.v1.Program.GetRules); reward redeem: a catalogue reward bought
// with points (loyalty.v1.Checkout.RedeemReward).
#include <google/protobuf/util/time_util.h>

#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "args.h"
#include "client.h"
#include "commands.h"
#include "loyalty/v1/checkout.grpc.pb.h"
#include "loyalty/v1/program.grpc.pb.h"
#include "output.h"

namespace loyaltyctl {
namespace {

using google::protobuf::util::TimeUtil;
using loyalty::v1::GetRulesResponse;
using loyalty::v1::RuleSetVersion;

int RunRedeem(const Invocation& invocation) {
  loyalty::v1::RedeemRewardRequest request;
  request.set_reward_id(invocation.positional);
  request.set_member_id(invocation.flags.Get("member"));
  request.set_request_id(RequestIdFor(invocation));
  loyalty::v1::RedeemRewardResponse response;
  grpc::ClientContext context;
  PrepareCall(invocation.global, &context);
  const grpc::Status status =
      loyalty::v1::Checkout::NewStub(MakeChannel(invocation.global))
          ->RedeemReward(&context, request, &response);
  if (!status.ok()) return PrintRpcError(status, invocation.global.json);
  if (invocation.global.json) return PrintJson(response);
  PrintKeyValues({
      {"transaction", response.transaction_id()},
      {"reward", request.reward_id()},
      {"member", request.member_id()},
      {"points", absl::StrCat(response.points())},
      {"stock left",
       response.stock_left() < 0 ? "unlimited" : absl::StrCat(response.stock_left())},
  });
  PrintSection("balance after", BalanceRows(response.balance()));
  return 0;
}

// The row of the version that prices purchases now. A version loaded twice
// has two rows: the last one whose activation has come.
const RuleSetVersion* ActiveVersion(const GetRulesResponse& response) {
  const auto now = TimeUtil::GetCurrentTime();
  const RuleSetVersion* active = nullptr;
  for (const RuleSetVersion& row : response.versions()) {
    if (row.version() != response.active_version()) continue;
    if (active == nullptr || row.activation_time() <= now) active = &row;
  }
  return active;
}

// "2025-11-15T00:00:00Z .. 2026-01-06T00:00:00Z", "from ...", "always".
std::string ValidityText(const loyalty::v1::Validity& valid) {
  const bool from = valid.has_from_time(), to = valid.has_to_time();
  std::string text = from && to ? absl::StrCat(FormatTime(valid.from_time()), " .. ",
                                               FormatTime(valid.to_time()))
                     : from     ? absl::StrCat("from ", FormatTime(valid.from_time()))
                     : to       ? absl::StrCat("until ", FormatTime(valid.to_time()))
                                : "always";
  if (valid.weekdays_size() > 0 || valid.has_hours()) {
    absl::StrAppend(&text, " (some days or hours)");
  }
  return text;
}

int RunList(const Invocation& invocation) {
  loyalty::v1::GetRulesRequest request;
  request.set_include_rule_sets(true);
  GetRulesResponse response;
  grpc::ClientContext context;
  PrepareCall(invocation.global, &context);
  const grpc::Status status =
      loyalty::v1::Program::NewStub(MakeChannel(invocation.global))
          ->GetRules(&context, request, &response);
  if (!status.ok()) return PrintRpcError(status, invocation.global.json);
  const RuleSetVersion* active = ActiveVersion(response);
  loyalty::v1::RuleSet catalogue;
  if (active != nullptr) *catalogue.mutable_rewards() = active->rule_set().rewards();
  if (invocation.global.json) return PrintJson(catalogue);
  if (catalogue.rewards().empty()) {
    std::cout << "The active rule set (version " << response.active_version()
              << ") has no rewards catalogue.\n";
    return 0;
  }
  std::vector<Row> rows;
  for (const loyalty::v1::Reward& reward : catalogue.rewards()) {
    rows.push_back({reward.id(), absl::StrCat(reward.points()),
                    reward.has_stock() ? absl::StrCat(reward.stock()) : "unlimited",
                    ValidityText(reward.validity()), reward.description()});
  }
  PrintTable({"REWARD", "POINTS", "STOCK", "VALID", "DESCRIPTION"}, rows);
  return 0;
}

}  // namespace

std::vector<CommandSpec> RewardCommands() {
  return {
      {"reward",
       "list",
       "",
       "",
       "List the rewards catalogue of the active rule set: price in points, "
       "stock, validity.",
       {},
       "loyaltyctl reward list",
       RunList,
       false,
       "STOCK is the rule file's stock for all members together (what is left "
       "of it shows in 'reward redeem'); 'unlimited' when the file sets none. "
       "Needs a key that may call Program.GetRules (marketing or admin).\n"},
      {"reward",
       "redeem",
       "REWARD",
       "The reward's id in the catalogue (see 'loyaltyctl reward list').",
       "Buy a reward of the rule set's catalogue with a member's available "
       "points.",
       {{"member", "ID", "The member who buys the reward.", "--member card-0042",
         true},
        {"request-id", "R",
         "Idempotency key: the same id with the same request acts once. Default: "
         "16 random hex characters, printed so you can retry.",
         "--request-id redeem-0042-coffee"}},
       "loyaltyctl reward redeem coffee --member card-0042",
       RunRedeem},
  };
}

}  // namespace loyaltyctl

#include "engine/program/usage.h"

#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/base/status_macros.h"

namespace loyalty::program {
namespace {

std::string BudgetKey(absl::string_view rule_id) {
  return absl::StrCat("budget/", rule_id);
}
std::string PromoKey(absl::string_view code) { return absl::StrCat("promo/", code); }

}  // namespace

evaluator::ProgramState ProgramStateOf(const evaluator::CompiledRules& rules,
                                       const loyalty::v1::Purchase& purchase,
                                       const ledger::Transaction& transaction) {
  evaluator::ProgramState state;
  for (const std::string& rule_id : evaluator::BudgetRuleIds(rules)) {
    state.budget_spent[rule_id] = transaction.Counter(BudgetKey(rule_id), 0);
  }
  for (const std::string& code : purchase.promo_codes()) {
    const std::string normal = evaluator::NormalizePromoCode(code);
    state.promo_code_uses[normal] = transaction.Counter(PromoKey(normal), 0);
  }
  return state;
}

absl::StatusOr<evaluator::ProgramState> StoredProgramState(
    const evaluator::CompiledRules& rules, const ledger::Ledger& ledger) {
  evaluator::ProgramState state;
  ASSIGN_OR_RETURN(auto budgets, ledger.ReadCounters("budget/"));
  for (const std::string& rule_id : evaluator::BudgetRuleIds(rules)) {
    auto it = budgets.find(BudgetKey(rule_id));
    state.budget_spent[rule_id] =
        it == budgets.end() || it->second.empty() ? 0 : it->second[0];
  }
  ASSIGN_OR_RETURN(auto promos, ledger.ReadCounters("promo/"));
  for (const auto& [key, values] : promos) {
    if (!values.empty()) state.promo_code_uses[key.substr(6)] = values[0];
  }
  return state;
}

void RecordUsage(const loyalty::v1::PricedPurchase& priced,
                 const evaluator::CompiledRules& rules, absl::Time purchase_time,
                 loyalty::v1::MemberRecord* member,
                 ledger::Transaction& transaction) {
  auto& usage = *member->mutable_rule_usage();
  for (const auto& row : priced.usage()) {
    for (const std::string& key : row.member_usage_keys()) usage[key] += row.amount();
    if (row.count_budget()) {
      transaction.AddCounter(BudgetKey(row.rule_id()), 0, row.amount());
    }
  }
  for (const auto& code : priced.promo_codes_used()) {
    (*member->mutable_promo_code_uses())[code.code()] += 1;
    if (!code.personal()) transaction.AddCounter(PromoKey(code.code()), 0, 1);
  }
  // Keep the periods the rules read now and at the purchase's time.
  std::set<std::string> current;
  for (absl::Time when : {purchase_time, transaction.now()}) {
    for (std::string& key : evaluator::MemberUsageKeys(rules, when)) {
      current.insert(std::move(key));
    }
  }
  for (auto it = usage.begin(); it != usage.end();) {
    it = current.count(it->first) ? std::next(it) : usage.erase(it);
  }
}

}  // namespace loyalty::program

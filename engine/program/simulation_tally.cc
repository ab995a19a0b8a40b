// The figures of one side of a simulation (simulation_tally.h).
#include "engine/program/simulation_tally.h"

#include <utility>

#include "absl/strings/match.h"
#include "engine/ledger/accounts.h"

namespace loyalty::program {
namespace {

using loyalty::v1::JournalEntry;

bool IsCashbackIssued(absl::string_view account) {
  return absl::StartsWith(account, "program/cashback/") &&
         absl::EndsWith(account, "/issued");
}

int64_t Times(int64_t amount, int64_t value) {
  int64_t product = 0;
  return __builtin_mul_overflow(amount, value, &product) ? 0 : product;
}

}  // namespace

SimulationTally::SimulationTally(const evaluator::CompiledRules& rules,
                                 std::string partner_id,
                                 const PeriodStart& start)
    : rules_(rules), partner_id_(std::move(partner_id)), tiers_(start.tiers) {
  figures_.set_liability_points(start.liability_points);
  liability_cashback_minor_ = start.liability_cashback_minor;
  for (const loyalty::v1::Rule& rule : rules.rule_set().rules()) {
    if (!rule.caps().has_budget()) continue;
    loyalty::v1::BudgetFigures& budget = budgets_[rule.id()];
    budget.set_rule_id(rule.id());
    budget.set_budget(rule.caps().budget());
    auto spent = start.budget_spent.find(rule.id());
    if (spent != start.budget_spent.end())
      budget.set_spent_before(spent->second);
  }
}

void SimulationTally::AddPostings(const JournalEntry& entry) {
  const bool counts = Counts(entry.partner_id());
  for (const loyalty::v1::Posting& posting : entry.postings()) {
    if (const auto member = ledger::ParseMemberAccount(posting.account())) {
      if (member->kind == ledger::MemberAccount::Kind::kCashback) {
        liability_cashback_minor_ += posting.amount();
      } else {
        figures_.set_liability_points(figures_.liability_points() +
                                      posting.amount());
      }
      continue;
    }
    if (!counts) continue;
    const absl::string_view account = posting.account();
    if (ledger::IsPointsIssued(account)) {
      figures_.set_points_issued(figures_.points_issued() - posting.amount());
    } else if (ledger::IsPointsRedeemed(account)) {
      figures_.set_points_burned(figures_.points_burned() + posting.amount());
    } else if (account == ledger::kProgramPointsExpired) {
      figures_.set_points_expired(figures_.points_expired() + posting.amount());
    } else if (IsCashbackIssued(account)) {
      figures_.set_cashback_issued_minor(figures_.cashback_issued_minor() -
                                         posting.amount());
    }
  }
}

void SimulationTally::AddEntries(const std::vector<JournalEntry>& entries) {
  for (const JournalEntry& entry : entries) {
    AddPostings(entry);
    if (entry.kind() == loyalty::v1::ENTRY_KIND_ENROLL) continue;
    auto tier = tiers_.find(entry.member_id());
    if (tier != tiers_.end() &&
        (!entry.tier_before().empty() || !entry.tier_after().empty())) {
      tier->second = entry.tier_after();
    }
    if (!Counts(entry.partner_id())) continue;
    if (entry.kind() == loyalty::v1::ENTRY_KIND_PURCHASE) {
      figures_.set_sales(figures_.sales() + 1);
      figures_.set_discount_minor(figures_.discount_minor() +
                                  entry.purchase().discount_minor());
    } else if (entry.kind() == loyalty::v1::ENTRY_KIND_REFUND) {
      figures_.set_refunds(figures_.refunds() + 1);
    }
  }
}

void SimulationTally::AddBudgetUse(const loyalty::v1::RuleUsage& usage,
                                   absl::Time time) {
  auto it = budgets_.find(usage.rule_id());
  if (it == budgets_.end()) return;
  loyalty::v1::BudgetFigures& budget = it->second;
  budget.set_spent(budget.spent() + usage.amount());
  if (budget.run_out_date().empty() &&
      budget.spent_before() + budget.spent() >= budget.budget()) {
    budget.set_run_out_date(
        absl::FormatTime("%Y-%m-%d", time, rules_.time_zone()));
  }
}

void SimulationTally::AddSale(const loyalty::v1::PricedPurchase& priced,
                              absl::string_view partner_id,
                              absl::Time purchase_time) {
  if (!Counts(partner_id)) return;
  for (const loyalty::v1::AppliedRule& applied : priced.applied()) {
    if (applied.rule_id().empty()) continue;
    loyalty::v1::RuleFigures& rule = rules_hit_[applied.rule_id()];
    rule.set_rule_id(applied.rule_id());
    rule.set_hits(rule.hits() + 1);
    rule.set_points(rule.points() + applied.points());
    rule.set_discount_minor(rule.discount_minor() + applied.discount_minor());
    rule.set_cashback_minor(rule.cashback_minor() + applied.cashback_minor());
    rule.set_gift_quantity(rule.gift_quantity() + applied.gift_quantity());
    if (applied.capped()) rule.set_capped(rule.capped() + 1);
  }
  for (const loyalty::v1::RuleUsage& usage : priced.usage()) {
    if (usage.member_usage_keys_size() > 0) {
      loyalty::v1::RuleFigures& rule = rules_hit_[usage.rule_id()];
      rule.set_rule_id(usage.rule_id());
      rule.set_cap_usage(rule.cap_usage() + usage.amount());
    }
    if (usage.count_budget()) AddBudgetUse(usage, purchase_time);
  }
}

void SimulationTally::AddMember(const std::string& member_id,
                                const std::string& tier) {
  tiers_[member_id] = tier;
}

loyalty::v1::SimulationFigures SimulationTally::Finish(
    int64_t point_value_minor) const {
  loyalty::v1::SimulationFigures figures = figures_;
  figures.set_points_issued_value_minor(
      Times(figures.points_issued(), point_value_minor));
  figures.set_points_burned_value_minor(
      Times(figures.points_burned(), point_value_minor));
  if (figures.points_issued() > 0) {
    figures.set_redemption_rate_bp(Times(figures.points_burned(), 10000) /
                                   figures.points_issued());
  }
  for (const auto& [id, rule] : rules_hit_) *figures.add_rules() = rule;
  for (const auto& [id, budget] : budgets_) *figures.add_budgets() = budget;
  if (!partner_id_
           .empty()) {  // member figures are the program's, not a partner's
    figures.clear_liability_points();
    return figures;
  }
  figures.set_liability_minor(
      Times(figures.liability_points(), point_value_minor) +
      liability_cashback_minor_);
  std::map<std::string, int64_t> by_tier;
  for (const auto& [member, tier] : tiers_) ++by_tier[tier];
  for (const auto& [tier, count] : by_tier) {
    loyalty::v1::TierCount* row = figures.add_tiers();
    row->set_tier(tier);
    row->set_members(count);
  }
  return figures;
}

}  // namespace loyalty::program

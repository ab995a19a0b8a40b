// The simulation's driver (simulation.h): reads the journal, groups it into
// operations, replays each, and counts both sides.
#include "engine/program/simulation.h"

#include <algorithm>
#include <cstdlib>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "engine/base/error.h"
#include "engine/base/status_macros.h"
#include "engine/base/time_util.h"
#include "engine/program/replay.h"
#include "engine/program/simulation_tally.h"
#include "engine/program/tiers.h"

namespace loyalty::program {
namespace {

using loyalty::v1::JournalEntry;
using loyalty::v1::PricedPurchase;

constexpr int kPageEntries = 1024;
constexpr size_t kLargestDifferences = 10;
constexpr int kMaxTierMoves = 100;

ledger::EntryFilter UpTo(absl::Time to) {
  ledger::EntryFilter filter;
  filter.to_time = to;
  return filter;
}

bool SamePostings(const std::vector<JournalEntry>& recorded,
                  const std::vector<JournalEntry>& replayed) {
  if (recorded.size() != replayed.size()) return false;
  for (size_t i = 0; i < recorded.size(); ++i) {
    if (recorded[i].kind() != replayed[i].kind() ||
        recorded[i].postings_size() != replayed[i].postings_size()) {
      return false;
    }
    for (int p = 0; p < recorded[i].postings_size(); ++p) {
      if (recorded[i].postings(p).SerializeAsString() !=
          replayed[i].postings(p).SerializeAsString()) {
        return false;
      }
    }
  }
  return true;
}

// The money value by which two pricings of one sale differ.
int64_t DifferenceOf(const PricedPurchase& a, const PricedPurchase& b,
                     int64_t point_value_minor) {
  return std::llabs(a.points_earned() - b.points_earned()) * point_value_minor +
         std::llabs(a.redeemed_value_minor() - b.redeemed_value_minor()) +
         std::llabs(a.discount_minor() - b.discount_minor()) +
         std::llabs(a.cashback_earned_minor() - b.cashback_earned_minor());
}

bool PricedAlike(const PricedPurchase& a, const PricedPurchase& b) {
  return a.points_earned() == b.points_earned() &&
         a.redeemed_points() == b.redeemed_points() &&
         a.discount_minor() == b.discount_minor() &&
         a.cashback_earned_minor() == b.cashback_earned_minor() &&
         a.total_due_minor() == b.total_due_minor() &&
         a.applied_size() == b.applied_size();
}

class Simulation {
 public:
  explicit Simulation(const SimulationInput& input)
      : input_(input),
        reader_(input.ledger->NewEntryReader(UpTo(input.to))),
        replay_(reader_.get()) {
    loyalty::v1::RuleSetVersion meta;
    meta.set_version(input.candidate->version());
    candidate_book_.Add(std::move(meta), input.candidate);
    replay_.AllowGuests(Sampling());
    point_value_minor_ =
        input.candidate->rule_set().program().point_value_minor();
  }

  absl::StatusOr<loyalty::v1::SimulateRulesResponse> Run(
      absl::FunctionRef<void(const loyalty::v1::SimulateRulesResponse&)>
          progress,
      const std::atomic<bool>* stop);

 private:
  bool Sampling() const {
    return input_.sample_every > 1 || !input_.sample_segment.empty();
  }
  absl::Status Operation(const std::vector<JournalEntry>& operation);
  absl::StatusOr<bool> InSample(const JournalEntry& main);
  void Start();
  absl::Status ReplayHistory(const std::vector<JournalEntry>& operation);
  absl::Status ReplayPeriod(const std::vector<JournalEntry>& operation);
  void CompareSale(const JournalEntry& main, const Replayed& replayed);
  loyalty::v1::SimulationReport Report() const;

  const SimulationInput& input_;
  std::unique_ptr<ledger::EntryReader> reader_;
  Replay replay_;
  RuleBook candidate_book_;
  int64_t point_value_minor_ = 0;
  int64_t enrolled_ = 0;
  absl::flat_hash_set<std::string> sample_;
  int64_t history_mismatches_ = 0;
  std::unique_ptr<SimulationTally> recorded_;
  std::unique_ptr<SimulationTally> candidate_;
  int64_t sales_priced_differently_ = 0;
  std::vector<loyalty::v1::SaleDifference> largest_;
};

absl::StatusOr<bool> Simulation::InSample(const JournalEntry& main) {
  if (!Sampling()) return true;
  if (main.kind() != loyalty::v1::ENTRY_KIND_ENROLL) {
    return sample_.contains(main.member_id());
  }
  ++enrolled_;
  if (input_.sample_every > 1 && enrolled_ % input_.sample_every != 0)
    return false;
  if (!input_.sample_segment.empty()) {
    ASSIGN_OR_RETURN(loyalty::v1::MemberRecord member,
                     reader_->GetMember(main.member_id()));
    const auto& segments = member.profile().segments();
    if (std::find(segments.begin(), segments.end(), input_.sample_segment) ==
        segments.end()) {
      return false;
    }
  }
  sample_.insert(main.member_id());
  return true;
}

// The state at from_time, from the replay of the history so far.
void Simulation::Start() {
  PeriodStart start;
  for (const auto& [id, member] : replay_.members()) {
    start.liability_points +=
        member.points_available() + member.points_pending();
    for (const loyalty::v1::CurrencyAmount& cash : member.cashback()) {
      start.liability_cashback_minor += cash.amount_minor();
    }
    if (!replay_.guests().contains(id)) start.tiers[id] = member.tier();
  }
  const std::shared_ptr<const evaluator::CompiledRules> recorded =
      input_.recorded->ActiveAt(input_.from);
  for (const auto* rules : {recorded.get(), input_.candidate.get()}) {
    for (const loyalty::v1::Rule& rule : rules->rule_set().rules()) {
      start.budget_spent[rule.id()] = replay_.Counter("budget/" + rule.id());
    }
  }
  recorded_ =
      std::make_unique<SimulationTally>(*recorded, input_.partner_id, start);
  candidate_ = std::make_unique<SimulationTally>(*input_.candidate,
                                                 input_.partner_id, start);
}

absl::Status Simulation::ReplayHistory(
    const std::vector<JournalEntry>& operation) {
  ASSIGN_OR_RETURN(Replayed replayed,
                   replay_.Run(operation, *input_.recorded,
                               Sampling() ? &sample_ : nullptr));
  if (!replayed.status.ok() || !SamePostings(operation, replayed.entries)) {
    ++history_mismatches_;
  }
  return absl::OkStatus();
}

void Simulation::CompareSale(const JournalEntry& main,
                             const Replayed& replayed) {
  const PricedPurchase empty;
  const PricedPurchase& candidate =
      replayed.status.ok() ? replayed.priced : empty;
  if (replayed.status.ok() && PricedAlike(replayed.recorded_priced, candidate))
    return;
  if (!input_.partner_id.empty() && main.partner_id() != input_.partner_id)
    return;
  ++sales_priced_differently_;
  loyalty::v1::SaleDifference difference;
  difference.set_sequence(main.sequence());
  difference.set_member_id(main.member_id());
  difference.set_order_id(main.order_id());
  difference.set_partner_id(main.partner_id());
  *difference.mutable_purchase_time() = main.effective_time();
  *difference.mutable_recorded() = replayed.recorded_priced;
  *difference.mutable_candidate() = candidate;
  if (!replayed.status.ok())
    difference.set_refusal(std::string(replayed.status.message()));
  difference.set_difference_minor(
      DifferenceOf(replayed.recorded_priced, candidate, point_value_minor_));
  largest_.push_back(std::move(difference));
  std::stable_sort(largest_.begin(), largest_.end(),
                   [](const auto& a, const auto& b) {
                     return a.difference_minor() > b.difference_minor();
                   });
  if (largest_.size() > kLargestDifferences) largest_.pop_back();
}

absl::Status Simulation::ReplayPeriod(
    const std::vector<JournalEntry>& operation) {
  const JournalEntry& main = operation.back();
  ASSIGN_OR_RETURN(
      Replayed replayed,
      replay_.Run(operation, candidate_book_, Sampling() ? &sample_ : nullptr));
  recorded_->AddEntries(operation);
  const absl::Time time = FromTimestamp(main.effective_time());
  if (replayed.sale) {
    recorded_->AddSale(replayed.recorded_priced, main.partner_id(), time);
    CompareSale(main, replayed);
  }
  if (main.kind() == loyalty::v1::ENTRY_KIND_ENROLL) {
    loyalty::v1::MemberRecord started;
    StartTier(*input_.recorded->ActiveAt(FromTimestamp(main.record_time())),
              &started);
    recorded_->AddMember(main.member_id(), started.tier());
  }
  if (!replayed.status.ok()) {
    candidate_->AddRefused();
    return absl::OkStatus();
  }
  candidate_->AddEntries(replayed.entries);
  if (replayed.sale)
    candidate_->AddSale(replayed.priced, main.partner_id(), time);
  if (main.kind() == loyalty::v1::ENTRY_KIND_ENROLL) {
    auto member = replay_.members().find(main.member_id());
    if (member != replay_.members().end()) {
      candidate_->AddMember(main.member_id(), member->second.tier());
    }
  }
  return absl::OkStatus();
}

absl::Status Simulation::Operation(const std::vector<JournalEntry>& operation) {
  const JournalEntry& main = operation.back();
  ASSIGN_OR_RETURN(const bool sampled, InSample(main));
  const bool upkeep_run = main.kind() == loyalty::v1::ENTRY_KIND_UPKEEP ||
                          main.kind() == loyalty::v1::ENTRY_KIND_EXPIRY_NOTICE;
  if (!sampled && !upkeep_run) return absl::OkStatus();
  if (FromTimestamp(main.record_time()) < input_.from)
    return ReplayHistory(operation);
  if (recorded_ == nullptr) Start();
  return ReplayPeriod(operation);
}

absl::StatusOr<loyalty::v1::SimulateRulesResponse> Simulation::Run(
    absl::FunctionRef<void(const loyalty::v1::SimulateRulesResponse&)> progress,
    const std::atomic<bool>* stop) {
  loyalty::v1::SimulateRulesResponse response;
  response.set_entries_total(reader_->snapshot_sequence());
  std::vector<JournalEntry> operation;
  while (true) {
    if (stop != nullptr && stop->load()) {
      return absl::CancelledError("the simulation was cancelled");
    }
    ASSIGN_OR_RETURN(std::vector<JournalEntry> page,
                     reader_->Next(kPageEntries));
    if (page.empty()) break;
    for (JournalEntry& entry : page) {
      if (!operation.empty() &&
          operation.back().request_id() != entry.request_id()) {
        RETURN_IF_ERROR(Operation(operation));
        operation.clear();
      }
      operation.push_back(std::move(entry));
    }
    response.set_entries_replayed(response.entries_replayed() +
                                  static_cast<int64_t>(page.size()));
    // A short page is the last: the report follows at once.
    if (static_cast<int>(page.size()) == kPageEntries) progress(response);
  }
  if (!operation.empty()) RETURN_IF_ERROR(Operation(operation));
  if (recorded_ == nullptr) Start();
  response.set_done(true);
  *response.mutable_report() = Report();
  progress(response);
  return response;
}

loyalty::v1::SimulationReport Simulation::Report() const {
  loyalty::v1::SimulationReport report;
  report.set_candidate_version(input_.candidate->version());
  report.set_currency(input_.candidate->rule_set().program().currency());
  report.set_point_value_minor(point_value_minor_);
  *report.mutable_recorded() = recorded_->Finish(point_value_minor_);
  *report.mutable_candidate() = candidate_->Finish(point_value_minor_);
  if (input_.partner_id.empty()) {
    for (const auto& [member, tier] : recorded_->tiers()) {
      auto other = candidate_->tiers().find(member);
      const std::string candidate_tier =
          other == candidate_->tiers().end() ? "" : other->second;
      if (candidate_tier == tier) continue;
      report.set_members_tier_differs(report.members_tier_differs() + 1);
      if (report.tier_moves_size() >= kMaxTierMoves) continue;
      loyalty::v1::TierMove* move = report.add_tier_moves();
      move->set_member_id(member);
      move->set_tier_recorded(tier);
      move->set_tier_candidate(candidate_tier);
    }
  }
  report.set_sales_priced_differently(sales_priced_differently_);
  for (const auto& difference : largest_)
    *report.add_largest_differences() = difference;
  if (input_.partner_id.empty()) {  // a count of the program's members
    report.set_members_in_sample(
        static_cast<int64_t>(recorded_->tiers().size()));
  }
  report.set_history_mismatches(history_mismatches_);
  report.set_partner_id(input_.partner_id);
  return report;
}

}  // namespace

absl::StatusOr<loyalty::v1::SimulateRulesResponse> Simulate(
    const SimulationInput& input,
    absl::FunctionRef<void(const loyalty::v1::SimulateRulesResponse&)> progress,
    const std::atomic<bool>* stop) {
  Simulation simulation(input);
  return simulation.Run(progress, stop);
}

}  // namespace loyalty::program

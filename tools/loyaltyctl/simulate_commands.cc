// rules simulate: what a candidate rule file would have done over a past
// period (loyalty.v1.Program.SimulateRules), printed beside what the
// ledger recorded.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "args.h"
#include "client.h"
#include "commands.h"
#include "loyalty/v1/program.grpc.pb.h"
#include "output.h"
#include "time_flags.h"

namespace loyaltyctl {
namespace {

using loyalty::v1::SimulateRulesRequest;
using loyalty::v1::SimulateRulesResponse;
using loyalty::v1::SimulationFigures;
using loyalty::v1::SimulationReport;

// A replay of a year of a national program takes minutes.
constexpr double kSimulationDeadlineSeconds = 3600.0;

absl::StatusOr<SimulateRulesRequest> BuildRequest(
    const Invocation& invocation) {
  SimulateRulesRequest request;
  const ParsedFlags& flags = invocation.flags;
  auto from = ParseInstantFlag("from", flags.Get("from"), RangeEnd::kFrom);
  if (!from.ok()) return from.status();
  auto to = ParseInstantFlag("to", flags.Get("to"), RangeEnd::kTo);
  if (!to.ok()) return to.status();
  if (absl::Status range =
          CheckRange(*from, *to, flags.Get("from"), flags.Get("to"));
      !range.ok()) {
    return range;
  }
  *request.mutable_from_time() = *from;
  *request.mutable_to_time() = *to;
  if (flags.Has("sample")) {
    int64_t every = 0;
    if (!absl::SimpleAtoi(flags.Get("sample"), &every) || every < 1) {
      return absl::InvalidArgumentError(
          "--sample must be a whole number N >= 1");
    }
    request.set_sample_every(every);
  }
  request.set_sample_segment(flags.Get("segment"));
  absl::StatusOr<std::string> yaml = ReadRuleFile(invocation.positional);
  if (!yaml.ok()) return yaml.status();
  request.set_file_name(invocation.positional);
  request.set_yaml(*std::move(yaml));
  return request;
}

std::string Change(int64_t recorded, int64_t candidate) {
  return recorded == candidate ? "" : FormatSigned(candidate - recorded);
}

// One row of the figures table; `money` prints minor units in `currency`.
Row FigureRow(const std::string& name, int64_t recorded, int64_t candidate,
              const std::string& currency = "") {
  auto shown = [&](int64_t value) {
    return currency.empty() ? absl::StrCat(value)
                            : FormatMoney(value, currency);
  };
  std::string change = Change(recorded, candidate);
  if (!change.empty() && !currency.empty()) {
    change = (candidate >= recorded ? "+" : "-") +
             FormatMoney(candidate >= recorded ? candidate - recorded
                                               : recorded - candidate,
                         currency);
  }
  return {name, shown(recorded), shown(candidate), change};
}

void PrintFigures(const SimulationReport& report) {
  const SimulationFigures& a = report.recorded();
  const SimulationFigures& b = report.candidate();
  const std::string& cur = report.currency();
  std::vector<Row> rows = {
      FigureRow("sales", a.sales(), b.sales()),
      FigureRow("refunds", a.refunds(), b.refunds()),
      FigureRow("operations refused", a.operations_refused(),
                b.operations_refused()),
      FigureRow("points issued", a.points_issued(), b.points_issued()),
      FigureRow("  money value", a.points_issued_value_minor(),
                b.points_issued_value_minor(), cur),
      FigureRow("points burned", a.points_burned(), b.points_burned()),
      FigureRow("  money value", a.points_burned_value_minor(),
                b.points_burned_value_minor(), cur),
      FigureRow("points expired", a.points_expired(), b.points_expired()),
      FigureRow("discount given", a.discount_minor(), b.discount_minor(), cur),
      FigureRow("cashback issued", a.cashback_issued_minor(),
                b.cashback_issued_minor(), cur),
      {"redemption rate", FormatBasisPoints(a.redemption_rate_bp()),
       FormatBasisPoints(b.redemption_rate_bp()),
       Change(a.redemption_rate_bp(), b.redemption_rate_bp()).empty()
           ? ""
           : "changed"},
  };
  if (report.partner_id().empty()) {
    rows.push_back(FigureRow("liability (points)", a.liability_points(),
                             b.liability_points()));
    rows.push_back(
        FigureRow("liability", a.liability_minor(), b.liability_minor(), cur));
  }
  PrintTable({"FIGURE", "RECORDED", "CANDIDATE", "CHANGE"}, rows);
}

// The rows of rule `id` on both sides (a rule only one side has shows 0).
template <typename Item, typename Field>
std::vector<std::string> Ids(const Field& recorded, const Field& candidate) {
  std::vector<std::string> ids;
  for (const Item& item : recorded) ids.push_back(item.rule_id());
  for (const Item& item : candidate) ids.push_back(item.rule_id());
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

template <typename Item, typename Field>
Item Find(const Field& items, const std::string& id) {
  for (const Item& item : items) {
    if (item.rule_id() == id) return item;
  }
  return Item();
}

void PrintRules(const SimulationReport& report) {
  using loyalty::v1::RuleFigures;
  const auto& a = report.recorded().rules();
  const auto& b = report.candidate().rules();
  std::vector<Row> rows;
  for (const std::string& id : Ids<RuleFigures>(a, b)) {
    const RuleFigures x = Find<RuleFigures>(a, id),
                      y = Find<RuleFigures>(b, id);
    const std::string& cur = report.currency();
    rows.push_back({id, absl::StrCat(x.hits(), " / ", y.hits()),
                    absl::StrCat(x.points(), " / ", y.points()),
                    FormatMoney(x.discount_minor(), cur) + " / " +
                        FormatMoney(y.discount_minor(), cur),
                    FormatMoney(x.cashback_minor(), cur) + " / " +
                        FormatMoney(y.cashback_minor(), cur),
                    absl::StrCat(x.capped(), " / ", y.capped())});
  }
  if (rows.empty()) return;
  std::cout << "\nRules (recorded / candidate):\n";
  PrintTable({"RULE", "HITS", "POINTS", "DISCOUNT", "CASHBACK", "CAPPED"},
             rows);
}

void PrintBudgets(const SimulationReport& report) {
  using loyalty::v1::BudgetFigures;
  const auto& a = report.recorded().budgets();
  const auto& b = report.candidate().budgets();
  std::vector<Row> rows;
  auto day = [](const std::string& date) {
    return date.empty() ? "lasted" : date;
  };
  for (const std::string& id : Ids<BudgetFigures>(a, b)) {
    const BudgetFigures x = Find<BudgetFigures>(a, id),
                        y = Find<BudgetFigures>(b, id);
    rows.push_back(
        {id, absl::StrCat(x.budget(), " / ", y.budget()),
         absl::StrCat(std::max(x.spent_before(), y.spent_before())),
         absl::StrCat(x.spent(), " / ", y.spent()),
         absl::StrCat(day(x.run_out_date()), " / ", day(y.run_out_date()))});
  }
  if (rows.empty()) return;
  std::cout << "\nBudgets (recorded / candidate):\n";
  PrintTable({"RULE", "BUDGET", "SPENT BEFORE", "SPENT", "RUN OUT"}, rows);
}

void PrintTiers(const SimulationReport& report) {
  if (!report.partner_id().empty()) return;
  std::vector<std::string> tiers;
  for (const auto& row : report.recorded().tiers()) tiers.push_back(row.tier());
  for (const auto& row : report.candidate().tiers())
    tiers.push_back(row.tier());
  std::sort(tiers.begin(), tiers.end());
  tiers.erase(std::unique(tiers.begin(), tiers.end()), tiers.end());
  auto count = [](const auto& rows, const std::string& tier) {
    for (const auto& row : rows) {
      if (row.tier() == tier) return row.members();
    }
    return int64_t{0};
  };
  std::vector<Row> rows;
  for (const std::string& tier : tiers) {
    const int64_t a = count(report.recorded().tiers(), tier);
    const int64_t b = count(report.candidate().tiers(), tier);
    rows.push_back({tier.empty() ? "-" : tier, absl::StrCat(a), absl::StrCat(b),
                    Change(a, b)});
  }
  std::cout << "\nMembers by tier at the end:\n";
  PrintTable({"TIER", "RECORDED", "CANDIDATE", "CHANGE"}, rows);
  std::cout << "\nMembers whose tier would differ: "
            << report.members_tier_differs() << "\n";
  rows.clear();
  for (const auto& move : report.tier_moves()) {
    rows.push_back(
        {move.member_id(), move.tier_recorded(), move.tier_candidate()});
  }
  if (!rows.empty()) PrintTable({"MEMBER", "RECORDED", "CANDIDATE"}, rows);
}

std::string Explained(const loyalty::v1::PricedPurchase& priced) {
  std::string text;
  for (const auto& row : priced.applied()) {
    absl::StrAppend(&text, text.empty() ? "" : "; ", row.explanation());
  }
  return text.empty() ? "-" : text;
}

void PrintDifferences(const SimulationReport& report) {
  std::cout << "\nSales priced differently: "
            << report.sales_priced_differently() << "\n";
  for (const auto& sale : report.largest_differences()) {
    std::cout << "\n  #" << sale.sequence() << "  order " << sale.order_id()
              << "  member " << sale.member_id() << "  "
              << FormatTime(sale.purchase_time()) << "  difference "
              << FormatMoney(sale.difference_minor(), report.currency()) << "\n"
              << "    recorded:  " << Explained(sale.recorded()) << "\n"
              << "    candidate: "
              << (sale.refusal().empty() ? Explained(sale.candidate())
                                         : "refused: " + sale.refusal())
              << "\n";
  }
}

void PrintReport(const SimulateRulesResponse& last) {
  const SimulationReport& report = last.report();
  PrintKeyValues(
      {{"candidate", report.candidate_version()},
       {"members", absl::StrCat(report.members_in_sample())},
       {"partner", report.partner_id().empty() ? "all" : report.partner_id()},
       {"history not reproduced", absl::StrCat(report.history_mismatches())}});
  std::cout << "\n";
  PrintFigures(report);
  PrintRules(report);
  PrintBudgets(report);
  PrintTiers(report);
  PrintDifferences(report);
}

int RunSimulate(const Invocation& invocation) {
  absl::StatusOr<SimulateRulesRequest> request = BuildRequest(invocation);
  if (!request.ok()) return UsageError(invocation, request.status());
  grpc::ClientContext context;
  PrepareLongCall(invocation.global, kSimulationDeadlineSeconds, &context);
  auto reader = loyalty::v1::Program::NewStub(MakeChannel(invocation.global))
                    ->SimulateRules(&context, *request);
  const bool draw = isatty(STDERR_FILENO) == 1 && !invocation.global.json;
  SimulateRulesResponse message, last;
  while (reader->Read(&message)) {
    last = message;
    if (draw && !message.done()) {
      const int64_t total = std::max<int64_t>(message.entries_total(), 1);
      std::cerr << "\rreplayed " << message.entries_replayed() << " of "
                << message.entries_total() << " entries ("
                << std::min<int64_t>(100,
                                     message.entries_replayed() * 100 / total)
                << "%)\033[K" << std::flush;
    }
  }
  if (draw) std::cerr << "\r\033[K" << std::flush;
  const grpc::Status status = reader->Finish();
  if (!status.ok()) return PrintRpcError(status, invocation.global.json);
  if (invocation.global.json) return PrintJson(last);
  PrintReport(last);
  return 0;
}

constexpr char kSimulateDetails[] =
    "Every operation committed before --to is decided again on a copy in the\n"
    "server's memory, from one snapshot: those before --from with the\n"
    "versions that priced them (so each member starts the period as the\n"
    "ledger had them), those from --from on with FILE only, in the order\n"
    "they were committed. Nothing is written. The comparison shows, as\n"
    "recorded and under FILE: points issued and burned and their money\n"
    "value, discount, cashback, each rule's hits and totals, each budget and\n"
    "the day it ran out, members by tier at --to and who would be in\n"
    "another tier, the redemption rate, the liability at --to, and the ten\n"
    "sales priced most differently with both explanations.\n";

}  // namespace

CommandSpec SimulateCommand() {
  return {
      "rules",
      "simulate",
      "FILE",
      "A candidate rule file (YAML); it is checked as 'rules load' checks it.",
      "Replay a past period's sales under a rule file and compare with what "
      "was recorded.",
      {{"from", "DATE|RFC3339",
        "Start of the period (a date means its midnight UTC).",
        "--from 2026-03-01", true},
       {"to", "DATE|RFC3339", "End of the period (a date includes that day).",
        "--to 2026-03-31", true},
       {"sample", "N",
        "Only every Nth member, in the order they enrolled: faster on a "
        "big ledger. Default: every member.",
        "--sample 10"},
       {"segment", "NAME", "Only members in this segment.",
        "--segment students"}},
      "loyaltyctl rules simulate spring.yaml --from 2026-03-01 --to 2026-03-31",
      RunSimulate,
      false,
      kSimulateDetails};
}

}  // namespace loyaltyctl

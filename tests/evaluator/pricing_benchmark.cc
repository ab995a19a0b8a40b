// Pricing speed: a 10-line basket against a 50-rule set (the target
// is well under 10 us on one core), plus the conditions alone. A counting
// operator new reports heap allocations per pricing (allocs_per_op):
// evaluating compiled conditions allocates nothing; what a full pricing
// allocates is the priced answer itself (about four blocks per applied row:
// the row, its rule id, its explanation and that text), not per condition.
// The arena variant shows what is left when the answer lives on an arena.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "benchmark/benchmark.h"
#include "engine/evaluator/compiled.h"
#include "engine/evaluator/evaluator.h"
#include "engine/evaluator/rule_file.h"
#include "google/protobuf/arena.h"

namespace {
std::atomic<int64_t> allocations{0};
}  // namespace

// Not inlined: GCC would otherwise see free() of memory from operator new
// at inlined call sites and warn (-Wmismatched-new-delete).
[[gnu::noinline]] void* operator new(size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, size_t) noexcept {
  std::free(p);
}

namespace loyalty::evaluator {
namespace {

// 50 rules of every kind: conditions on the purchase and the member, line
// conditions, windows, groups and caps. In the typical set 2 of the 5
// conditions hold for the benchmark basket (about 20 rules give something);
// in the heavy set 4 of 5 do (43 applied rows). `tiers` adds a ladder on
// which the benchmark member is gold: a discount, extra points, cashback and
// two perks (3 more rows).
std::string FiftyRules(bool heavy, bool tiers = false) {
  std::string yaml =
      "program: {id: bench, currency: EUR, point_value_minor: 1, "
      "time_zone: Europe/Berlin}\n"
      "earn: {points: 1, per_minor: 100, rounding: down, "
      "cashback_basis_points: 50}\n"
      "burn: {max_basket_share_percent: 50, earned_points_pay_same_order: "
      "false}\n"
      "exclusions:\n  - {categories: [gift-cards], excluded_from: both}\n"
      "rules:\n";
  if (tiers) {
    yaml = absl::StrCat(
        "tiers:\n  measure: spend\n  window: rolling\n  window_days: 365\n"
        "  levels:\n    - {id: member, threshold: 0}\n"
        "    - id: gold\n      threshold: 1000.00\n"
        "      benefits: {earn_multiplier_percent: 150, discount_percent: 5, "
        "cashback_basis_points: 100, perks: [free delivery, priority support]}"
        "\n",
        yaml);
  }
  const char* effects[] = {
      "bonus_points: {points: 5}",
      "multiply_points: {percent: 150, lines: category == \"cat3\"}",
      "points_per_amount: {points: 2, per_minor: 100, lines: quantity >= 2}",
      "percent_discount: {percent: 5, lines: 'category in [\"cat1\", \"cat2\"]'}",
      "cashback: {basis_points: 100}",
      "fixed_discount: {amount_minor: 50, lines: sku == \"SKU-4\"}",
      "gift: {sku: MUG, description: Mug}",
      "volume_ladder: {bands: [{from_minor: 0, percent: 0}, {from_minor: "
      "5000, percent: 2}]}",
  };
  const char* conditions[] = {
      heavy ? "subtotal >= 1000 and channel == \"pos\""
            : "subtotal >= 1000 and channel == \"eshop\"",
      "tier in [\"gold\", \"silver\"] and not first_purchase",
      heavy ? "\"vip\" in segments or region == \"north\""
            : "\"staff\" in segments or region == \"north\"",
      "weekday in [\"mon\", \"tue\", \"wed\"] and hour >= 8",
      "date >= 2025-01-01 and purchases > 100",
  };
  for (int i = 0; i < 50; ++i) {
    absl::StrAppend(&yaml, "  - id: r", i, "\n    description: Rule ", i,
                    "\n    priority: ", i,
                    "\n    condition: '", conditions[i % 5], "'\n    ",
                    effects[i % 8], "\n");
    if (i % 10 == 9) absl::StrAppend(&yaml, "    exclusive_group: g", i % 3, "\n");
    if (i % 7 == 0) {
      absl::StrAppend(&yaml, "    valid: {weekdays: mon-fri, hours: 7-22}\n");
    }
    if (i % 6 == 0) {
      // Caps of discounts and cashback are money (rules/README.md).
      const bool money = i % 8 >= 3 && i % 8 != 6;
      absl::StrAppend(&yaml, "    caps: {per_order: ", money ? "10.00" : "1000",
                      "}\n");
    }
  }
  return yaml;
}

[[noreturn]] void Die(const absl::Status& status) {
  std::fprintf(stderr, "%s\n", std::string(status.message()).c_str());
  std::abort();
}

// 0: the typical set; 1: the heavy one; 2: the heavy one with tiers.
std::shared_ptr<const CompiledRules> Rules(int64_t set) {
  auto rule_set = ParseRuleFile("bench.yaml", FiftyRules(set >= 1, set == 2));
  if (!rule_set.ok()) Die(rule_set.status());
  auto compiled = CompiledRules::Compile(*rule_set);
  if (!compiled.ok()) Die(compiled.status());
  return *compiled;
}

loyalty::v1::Purchase TenLines() {
  loyalty::v1::Purchase purchase;
  purchase.set_member_id("m-1");
  purchase.set_order_id("o-1");
  purchase.set_currency("EUR");
  purchase.set_channel(loyalty::v1::CHANNEL_POS);
  purchase.set_redeem_points(200);
  for (int i = 0; i < 10; ++i) {
    loyalty::v1::PurchaseLine& line = *purchase.add_lines();
    line.set_sku(absl::StrCat("SKU-", i));
    line.set_category(absl::StrCat("cat", i % 5));
    line.set_quantity(1 + i % 3);
    line.set_unit_price_minor(199 + 100 * i);
  }
  return purchase;
}

MemberState Member() {
  MemberState member;
  member.member_id = "m-1";
  member.points_available = 5000;
  member.tier = "gold";
  member.segments = {"vip", "students"};
  member.purchase_count = 42;
  return member;
}

void BM_PriceTenLinesFiftyRules(benchmark::State& state) {
  const auto rules = Rules(state.range(0));
  const loyalty::v1::Purchase purchase = TenLines();
  const MemberState member = Member();
  const ProgramState program;
  // Tuesday 10 June 2025, 12:00 Berlin: weekday windows are open.
  const absl::Time now = absl::FromUnixSeconds(1749549600);
  const int64_t before = allocations.load();
  int64_t rows = 0;
  for (auto _ : state) {
    auto priced = PricePurchase(*rules, member, program, purchase, now);
    if (!priced.ok()) Die(priced.status());
    rows = priced->applied_size();
    benchmark::DoNotOptimize(priced);
  }
  state.counters["applied_rows"] = static_cast<double>(rows);
  state.counters["allocs_per_op"] = benchmark::Counter(
      static_cast<double>(allocations.load() - before),
      benchmark::Counter::kAvgIterations);
}
// The argument picks the rule set (Rules()).
BENCHMARK(BM_PriceTenLinesFiftyRules)->Arg(0)->Arg(1)->Arg(2);

// The same on an arena whose first block is reused for every pricing, as a
// server reusing a per-request arena would.
void BM_PriceTenLinesFiftyRulesOnArena(benchmark::State& state) {
  const auto rules = Rules(state.range(0));
  const loyalty::v1::Purchase purchase = TenLines();
  const MemberState member = Member();
  const ProgramState program;
  const absl::Time now = absl::FromUnixSeconds(1749549600);
  static char block[64 << 10];  // the answer's rows fit in it
  google::protobuf::ArenaOptions options;
  options.initial_block = block;
  options.initial_block_size = sizeof(block);
  const int64_t before = allocations.load();
  int64_t rows = 0;
  for (auto _ : state) {
    google::protobuf::Arena arena(options);
    auto priced = PricePurchase(*rules, member, program, purchase, now, arena);
    if (!priced.ok()) Die(priced.status());
    rows = (*priced)->applied_size();
    benchmark::DoNotOptimize(priced);
  }
  state.counters["applied_rows"] = static_cast<double>(rows);
  state.counters["allocs_per_op"] =
      benchmark::Counter(static_cast<double>(allocations.load() - before),
                         benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_PriceTenLinesFiftyRulesOnArena)->Arg(0)->Arg(1)->Arg(2);

void BM_FiftyConditionsTenLines(benchmark::State& state) {
  const auto rules = Rules(1);
  internal::Facts facts;
  facts.slot[internal::kSlotSubtotal] = 5000;
  facts.slot[internal::kSlotWeekday] = 2;
  facts.slot[internal::kSlotHour] = 12;
  const int64_t before = allocations.load();
  int64_t matched = 0;
  for (auto _ : state) {
    for (const internal::CompiledRule& rule : rules->program().rules) {
      matched += rule.condition.Evaluate(facts);
      for (int line = 0; line < 10; ++line) {
        facts.slot[internal::kSlotQuantity] = line % 3;
        matched += rule.lines.Evaluate(facts);
      }
    }
  }
  benchmark::DoNotOptimize(matched);
  state.counters["allocs_per_op"] = benchmark::Counter(
      static_cast<double>(allocations.load() - before),
      benchmark::Counter::kAvgIterations);
}
BENCHMARK(BM_FiftyConditionsTenLines);

}  // namespace
}  // namespace loyalty::evaluator

BENCHMARK_MAIN();

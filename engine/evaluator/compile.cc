// CompiledRules::Compile: checks a rule set, then prepares it once for
// pricing (conditions compiled, texts interned, rules sorted, windows and
// scopes turned into bit masks), so PricePurchase does no parsing.
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "engine/base/error.h"
#include "engine/base/status_macros.h"
#include "engine/base/sha256.h"
#include "engine/base/time_util.h"
#include "engine/evaluator/compiled.h"
#include "engine/evaluator/evaluator.h"
#include "engine/evaluator/text.h"
#include "engine/evaluator/time_zone.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace loyalty::evaluator {
namespace internal {

using loyalty::v1::Rule;
using loyalty::v1::RuleSet;

constexpr size_t kVersionHexDigits = 16;

uint8_t WeekdayBits(const loyalty::v1::Validity& validity) {
  uint8_t bits = 0;
  for (int day : validity.weekdays()) {
    if (day >= 1 && day <= 7) bits |= uint8_t(1u << day);  // others refused
  }
  return bits;
}

uint32_t HourBits(const loyalty::v1::Validity& validity) {
  if (!validity.has_hours()) return 0;
  uint32_t bits = 0;
  const int64_t from = validity.hours().from_hour();
  const int64_t to = validity.hours().to_hour();
  for (int64_t hour = 0; hour < 24; ++hour) {
    const bool in = from < to ? (hour >= from && hour < to)
                              : (hour >= from || hour < to);  // wraps
    if (in) bits |= 1u << hour;
  }
  return bits;
}

Window MakeWindow(const loyalty::v1::Validity& validity) {
  Window window;
  if (validity.has_from_time()) window.from = FromTimestamp(validity.from_time());
  if (validity.has_to_time()) window.to = FromTimestamp(validity.to_time());
  window.weekdays = WeekdayBits(validity);
  window.hours = HourBits(validity);
  return window;
}

bool WindowHolds(const Window& window, absl::Time time,
                 const absl::CivilSecond& local) {
  if (time < window.from || time >= window.to) return false;
  if (window.weekdays != 0) {
    // absl counts Monday first; ISO numbers it 1.
    const int iso = static_cast<int>(absl::GetWeekday(local)) + 1;
    if ((window.weekdays & (1u << iso)) == 0) return false;
  }
  return window.hours == 0 || (window.hours & (1u << local.hour())) != 0;
}

namespace {

std::pair<EffectKind, CapUnit> KindOf(const Rule& rule) {
  switch (rule.effect_case()) {
    case Rule::kPointsPerAmount: return {EffectKind::kPointsPerAmount, CapUnit::kPoints};
    case Rule::kMultiplyPoints: return {EffectKind::kMultiplyPoints, CapUnit::kPoints};
    case Rule::kPercentDiscount: return {EffectKind::kPercentDiscount, CapUnit::kMoney};
    case Rule::kFixedDiscount: return {EffectKind::kFixedDiscount, CapUnit::kMoney};
    case Rule::kCashback: return {EffectKind::kCashback, CapUnit::kMoney};
    case Rule::kGift: return {EffectKind::kGift, CapUnit::kGifts};
    case Rule::kVolumeLadder: return {EffectKind::kVolumeLadder, CapUnit::kMoney};
    default: return {EffectKind::kBonusPoints, CapUnit::kPoints};
  }
}

const std::string& LinesOf(const Rule& rule) {
  switch (rule.effect_case()) {
    case Rule::kPointsPerAmount: return rule.points_per_amount().lines();
    case Rule::kMultiplyPoints: return rule.multiply_points().lines();
    case Rule::kPercentDiscount: return rule.percent_discount().lines();
    case Rule::kFixedDiscount: return rule.fixed_discount().lines();
    case Rule::kCashback: return rule.cashback().lines();
    case Rule::kVolumeLadder: return rule.volume_ladder().lines();
    default: {
      static const std::string* const kNone = new std::string();
      return *kNone;
    }
  }
}

// A rule's compiled form; `symbols` gains its texts.
absl::StatusOr<CompiledRule> CompileRule(const Rule& rule, int index,
                                         Symbols& symbols) {
  CompiledRule compiled;
  compiled.rule = &rule;
  compiled.index = index;
  std::tie(compiled.kind, compiled.unit) = KindOf(rule);
  ASSIGN_OR_RETURN(compiled.condition,
                   Condition::Compile(rule.condition(), ConditionKind::kPurchase,
                                      symbols));
  const std::string& lines = LinesOf(rule);
  compiled.line_scoped = !lines.empty();
  ASSIGN_OR_RETURN(compiled.lines,
                   Condition::Compile(lines, ConditionKind::kLine, symbols));
  compiled.window = MakeWindow(rule.validity());
  const std::string window = WindowWords(rule.validity());
  compiled.title = window.empty()
                       ? rule.description()
                       : absl::StrCat(rule.description(), " (", window, ")");
  for (int channel : rule.scope().channels()) compiled.channels |= 1u << channel;
  for (const std::string& partner : rule.scope().partners()) {
    compiled.partners.push_back(symbols.Intern(partner));
  }
  for (const std::string& store : rule.scope().stores()) {
    compiled.stores.push_back(symbols.Intern(store));
  }
  const loyalty::v1::Caps& caps = rule.caps();
  compiled.member_capped = caps.has_per_member_per_day() ||
                           caps.has_per_member_per_month() ||
                           caps.has_per_member_per_year();
  return compiled;
}

// Rules in pricing order, with exclusive groups numbered.
absl::Status CompileRules(const RuleSet& rule_set, CompiledProgram& program) {
  std::vector<std::string> groups;
  for (int i = 0; i < rule_set.rules_size(); ++i) {
    ASSIGN_OR_RETURN(CompiledRule rule,
                     CompileRule(rule_set.rules(i), i, program.symbols));
    const std::string& group = rule_set.rules(i).exclusive_group();
    if (!group.empty()) {
      auto it = std::find(groups.begin(), groups.end(), group);
      rule.group = static_cast<int>(it - groups.begin());
      if (it == groups.end()) groups.push_back(group);
    }
    program.rules.push_back(std::move(rule));
  }
  program.group_count = static_cast<int>(groups.size());
  std::sort(program.rules.begin(), program.rules.end(),
            [](const CompiledRule& a, const CompiledRule& b) {
              if (a.rule->priority() != b.rule->priority()) {
                return a.rule->priority() > b.rule->priority();
              }
              return a.rule->id() < b.rule->id();
            });
  return absl::OkStatus();
}

void CompilePromoCodes(const RuleSet& rule_set, CompiledProgram& program) {
  for (const loyalty::v1::PromoCode& code : rule_set.promo_codes()) {
    CompiledPromoCode compiled;
    compiled.code = &code;
    compiled.normalized = absl::AsciiStrToUpper(code.code());
    compiled.window = MakeWindow(code.validity());
    for (const std::string& id : code.rule_ids()) {
      for (size_t p = 0; p < program.rules.size(); ++p) {
        if (program.rules[p].rule->id() != id) continue;
        compiled.rule_positions.push_back(static_cast<int>(p));
        program.rules[p].needs_promo_code = true;
      }
    }
    program.promo_codes.push_back(std::move(compiled));
  }
  std::sort(program.promo_codes.begin(), program.promo_codes.end(),
            [](const CompiledPromoCode& a, const CompiledPromoCode& b) {
              return a.normalized < b.normalized;
            });
}

void CompileExclusions(const RuleSet& rule_set, CompiledProgram& program) {
  for (const loyalty::v1::Exclusion& exclusion : rule_set.exclusions()) {
    const bool earn = exclusion.scope() != loyalty::v1::EXCLUSION_SCOPE_BURNING;
    const bool burn = exclusion.scope() != loyalty::v1::EXCLUSION_SCOPE_EARNING;
    auto mark = [&](const std::string& text, uint8_t no_earn, uint8_t no_burn) {
      const size_t id = static_cast<size_t>(program.symbols.Intern(text));
      if (program.exclusion_bits.size() <= id) {
        program.exclusion_bits.resize(id + 1, 0);
      }
      program.exclusion_bits[id] |= (earn ? no_earn : 0) | (burn ? no_burn : 0);
    };
    for (const std::string& sku : exclusion.skus()) {
      mark(sku, kSkuNoEarn, kSkuNoBurn);
    }
    for (const std::string& category : exclusion.categories()) {
      mark(category, kCategoryNoEarn, kCategoryNoBurn);
    }
    program.has_exclusions = true;
  }
}

bool GivesSomething(const loyalty::v1::TierBenefits& benefits) {
  const int64_t multiplier = benefits.earn_multiplier_percent();
  return (multiplier != 0 && multiplier != 100) ||
         benefits.discount_percent() != 0 ||
         benefits.cashback_basis_points() != 0 || !benefits.perks().empty();
}

void CompileTiers(const RuleSet& rule_set, CompiledProgram& program) {
  for (const loyalty::v1::Tier& tier : rule_set.tiers().levels()) {
    if (!GivesSomething(tier.benefits())) continue;
    CompiledTier compiled;
    compiled.tier = &tier;
    compiled.symbol = program.symbols.Intern(tier.id());
    compiled.row_id = absl::StrCat("tier:", tier.id());
    compiled.title =
        absl::StrCat(tier.name().empty() ? tier.id() : tier.name(), " tier");
    program.tiers.push_back(std::move(compiled));
  }
}

absl::StatusOr<std::unique_ptr<CompiledProgram>> BuildProgram(
    const RuleSet& rule_set) {
  auto program = std::make_unique<CompiledProgram>();
  ASSIGN_OR_RETURN(program->zone,
                   ResolveTimeZone(rule_set.program().time_zone()));
  if (rule_set.program().application_order() !=
      loyalty::v1::APPLICATION_ORDER_UNSPECIFIED) {
    program->order = rule_set.program().application_order();
  }
  RETURN_IF_ERROR(CompileRules(rule_set, *program));
  CompilePromoCodes(rule_set, *program);
  CompileExclusions(rule_set, *program);
  CompileTiers(rule_set, *program);
  // Exclusion bits are read by symbol id; cover every id.
  program->exclusion_bits.resize(program->symbols.size(), 0);
  return program;
}

}  // namespace

std::string RuleSetVersion(const RuleSet& rule_set) {
  RuleSet content = rule_set;
  content.clear_version();
  content.clear_source_name();
  // Unknown fields would make the digest depend on who sent the rules.
  content.DiscardUnknownFields();
  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);
    content.SerializeWithCachedSizes(&coded);
  }
  return HexEncode(Sha256(bytes)).substr(0, kVersionHexDigits);
}

}  // namespace internal

CompiledRules::CompiledRules(loyalty::v1::RuleSet rule_set)
    : rule_set_(std::move(rule_set)) {}

CompiledRules::~CompiledRules() = default;

absl::StatusOr<std::shared_ptr<const CompiledRules>> CompiledRules::Compile(
    loyalty::v1::RuleSet rule_set) {
  std::vector<internal::RuleProblem> problems =
      internal::CheckRuleSet(rule_set);
  if (!problems.empty()) {
    // The first problem's field travels in the error detail; the others are
    // listed in the text so that one round trip shows them all.
    std::string text = problems[0].text;
    for (size_t i = 1; i < problems.size(); ++i) {
      absl::StrAppend(&text, "; ", problems[i].field, ": ", problems[i].text);
    }
    return InvalidArgument("INVALID_RULES", problems[0].field, text);
  }
  rule_set.set_version(internal::RuleSetVersion(rule_set));
  std::shared_ptr<CompiledRules> compiled(
      new CompiledRules(std::move(rule_set)));
  // Built after the RuleSet has its final address: the program points into it.
  absl::StatusOr<std::unique_ptr<internal::CompiledProgram>> program =
      internal::BuildProgram(compiled->rule_set_);
  if (!program.ok()) {
    // CheckRuleSet accepted it, so this is a bug in one of the two.
    return absl::InternalError(absl::StrCat(
        "rule set passed its checks but did not compile: ",
        program.status().message()));
  }
  compiled->program_ = *std::move(program);
  return std::shared_ptr<const CompiledRules>(std::move(compiled));
}

std::vector<std::string> MemberUsageKeys(const CompiledRules& rules,
                                         absl::Time now) {
  const internal::CompiledProgram& program = rules.program();
  const internal::PeriodKeys periods = internal::PeriodKeysAt(now, program.zone);
  std::vector<std::string> keys;
  for (const internal::CompiledRule& rule : program.rules) {
    const loyalty::v1::Caps& caps = rule.rule->caps();
    const std::string& id = rule.rule->id();
    if (caps.has_per_member_per_day()) keys.push_back(absl::StrCat(id, "/day/", periods.day));
    if (caps.has_per_member_per_month()) keys.push_back(absl::StrCat(id, "/month/", periods.month));
    if (caps.has_per_member_per_year()) keys.push_back(absl::StrCat(id, "/year/", periods.year));
  }
  return keys;
}

std::vector<std::string> BudgetRuleIds(const CompiledRules& rules) {
  std::vector<std::string> ids;
  for (const loyalty::v1::Rule& rule : rules.rule_set().rules()) {
    if (rule.caps().has_budget()) ids.push_back(rule.id());
  }
  return ids;
}

std::string NormalizePromoCode(const std::string& code) {
  return absl::AsciiStrToUpper(code);
}

}  // namespace loyalty::evaluator

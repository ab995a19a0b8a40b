// CheckRuleSet: every range and consistency check of a rule set, shared by
// CompiledRules::Compile (RPCs) and the rule-file reader (which locates each
// problem at its line). Problems name the proto path of the field.
#include <algorithm>
#include <cstdint>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "engine/evaluator/compiled.h"
#include "engine/evaluator/condition.h"
#include "engine/evaluator/evaluator.h"
#include "engine/evaluator/time_zone.h"
#include "engine/base/money.h"
#include "engine/base/time_util.h"

namespace loyalty::evaluator::internal {
namespace {

using loyalty::v1::RuleSet;

// The limits that several checks share; a limit of one check is declared in
// it.
constexpr size_t kMaxIdLength = 64;
constexpr size_t kMaxDescriptionLength = 200;
constexpr int64_t kBasisPointsPerWhole = 10000;

using Problems = std::vector<RuleProblem>;

bool IsCurrencyCode(absl::string_view code) {
  return code.size() == 3 && std::all_of(code.begin(), code.end(), [](char c) {
           return c >= 'A' && c <= 'Z';
         });
}

bool IsIdChar(char c) {
  return absl::ascii_isalnum(c) || c == '_' || c == '.' || c == '-';
}

bool IsCodeChar(char c) {
  return absl::ascii_isalnum(c) || c == '_' || c == '-';
}

// An id of 1 to kMaxIdLength characters, each one that `allowed` accepts
// (`allowed_words` names them for the message).
void CheckIdOf(const std::string& id, const std::string& field,
               bool (*allowed)(char), absl::string_view allowed_words,
               Problems& problems) {
  if (id.empty()) {
    problems.push_back({field, "must not be empty"});
  } else if (id.size() > kMaxIdLength) {
    problems.push_back({field, absl::StrCat("must be at most ", kMaxIdLength,
                                            " characters, got ", id.size())});
  } else if (!std::all_of(id.begin(), id.end(), allowed)) {
    problems.push_back({field, absl::StrCat("may hold only ", allowed_words,
                                            ", got '", id, "'")});
  }
}

// An id: program, rule or group.
void CheckId(const std::string& id, const std::string& field,
             Problems& problems) {
  CheckIdOf(id, field, IsIdChar, "letters, digits, '_', '.' and '-'", problems);
}

// A tier or reward id: letters, digits, '_' and '-' (no '.': these ids
// appear in keys and URLs of the program layer).
void CheckPlainId(const std::string& id, const std::string& field,
                  Problems& problems) {
  CheckIdOf(id, field, IsCodeChar, "letters, digits, '_' and '-'", problems);
}

void CheckRange(int64_t value, int64_t low, int64_t high,
                const std::string& field, absl::string_view unit,
                Problems& problems) {
  if (value >= low && value <= high) return;
  problems.push_back({field, absl::StrCat("must be between ", low, " and ",
                                          high, unit, ", got ", value)});
}

void CheckPositive(int64_t value, const std::string& field,
                   Problems& problems) {
  if (value > 0) return;
  problems.push_back(
      {field, absl::StrCat("must be greater than 0, got ", value)});
}

// A list of at most `max` entries: "at most 500 rules, got 501".
void CheckCount(int count, int max, absl::string_view field,
                absl::string_view noun, Problems& problems) {
  if (count <= max) return;
  problems.push_back({std::string(field), absl::StrCat("at most ", max, " ",
                                                       noun, ", got ", count)});
}

// A text of at most kMaxDescriptionLength characters.
void CheckLength(const std::string& text, const std::string& field,
                 Problems& problems) {
  if (text.size() <= kMaxDescriptionLength) return;
  problems.push_back(
      {field, absl::StrCat("must be at most ", kMaxDescriptionLength,
                           " characters, got ", text.size())});
}

// Entry `index` of the list `list` ("rules") whose key an earlier entry has:
// "duplicate <what> '<shown>' (<list>[<earlier>] has it too<note>)", at
// `field`. `seen` holds the keys of the entries before it.
struct Duplicate {
  absl::string_view list;
  absl::string_view what;  // "rule id"
  absl::string_view note = "";
};
void CheckDuplicate(absl::flat_hash_map<std::string, int>& seen,
                    const Duplicate& kind, std::string key,
                    const std::string& shown, int index,
                    const std::string& field, Problems& problems) {
  auto [it, inserted] = seen.emplace(std::move(key), index);
  if (inserted) return;
  problems.push_back({field, absl::StrCat("duplicate ", kind.what, " '", shown,
                                          "' (", kind.list, "[", it->second,
                                          "] has it too", kind.note, ")")});
}

// The id of entry `index` (at `field`.id), when an earlier entry has it; an
// empty id is reported as empty (CheckId), not as a duplicate.
void CheckUniqueId(absl::flat_hash_map<std::string, int>& seen,
                   const Duplicate& kind, const std::string& id, int index,
                   const std::string& field, Problems& problems) {
  if (id.empty()) return;
  CheckDuplicate(seen, kind, id, id, index, field + ".id", problems);
}

// A list of the program's (tiers or rewards). Each entry has a plain id that
// no earlier entry has and a text (`text`, at `text_key`: a tier's name, a
// reward's description) of at most kMaxDescriptionLength characters; then
// `check(entry, index, field)` checks the rest of it.
template <typename T, typename Check>
void CheckCatalogue(const google::protobuf::RepeatedPtrField<T>& entries,
                    const Duplicate& kind,
                    const std::string& (T::*text)() const,
                    absl::string_view text_key, Problems& problems,
                    Check check) {
  absl::flat_hash_map<std::string, int> seen;
  for (int i = 0; i < entries.size(); ++i) {
    const T& entry = entries[i];
    const std::string field = absl::StrCat(kind.list, "[", i, "]");
    CheckPlainId(entry.id(), field + ".id", problems);
    CheckUniqueId(seen, kind, entry.id(), i, field, problems);
    CheckLength((entry.*text)(), absl::StrCat(field, ".", text_key), problems);
    check(entry, i, field);
  }
}

void CheckProgram(const loyalty::v1::ProgramSettings& program,
                  Problems& problems) {
  CheckId(program.program_id(), "program.program_id", problems);
  if (!IsCurrencyCode(program.currency())) {
    problems.push_back(
        {"program.currency",
         absl::StrCat("must be a 3-letter upper-case ISO 4217 code such as "
                      "EUR, got '",
                      program.currency(), "'")});
  }
  CheckPositive(program.point_value_minor(), "program.point_value_minor",
                problems);
  if (absl::StatusOr<absl::TimeZone> zone =
          ResolveTimeZone(program.time_zone());
      !zone.ok()) {
    problems.push_back({"program.time_zone", std::string(zone.status().message())});
  }
  if (!loyalty::v1::ApplicationOrder_IsValid(program.application_order())) {
    problems.push_back({"program.application_order",
                        absl::StrCat("unknown order ",
                                     program.application_order())});
  }
}

void CheckEarn(const loyalty::v1::EarnSettings& earn, Problems& problems) {
  if (earn.points() < 0) {
    problems.push_back({"earn.points", absl::StrCat("must be 0 or more, got ",
                                                    earn.points())});
  }
  CheckPositive(earn.per_minor(), "earn.per_minor", problems);
  if (earn.rounding() < loyalty::v1::ROUNDING_DOWN ||
      earn.rounding() > loyalty::v1::ROUNDING_UP) {
    problems.push_back({"earn.rounding",
                        absl::StrCat("must be one of down, half_up, half_even, "
                                     "up, got ",
                                     earn.rounding())});
  }
  CheckRange(earn.cashback_basis_points(), 0, kBasisPointsPerWhole,
             "earn.cashback_basis_points", " (0% to 100%)", problems);
}

void CheckBurn(const loyalty::v1::BurnSettings& burn, Problems& problems) {
  CheckRange(burn.max_basket_share_percent(), 0, 100,
             "burn.max_basket_share_percent", "", problems);
  if (burn.earned_points_pay_same_order()) {
    problems.push_back(
        {"burn.earned_points_pay_same_order",
         "must be false: points earned on an order can never pay for that "
         "same order"});
  }
}

void CheckValidity(const loyalty::v1::Validity& validity,
                   const std::string& field, Problems& problems) {
  if (validity.has_from_time() && validity.has_to_time() &&
      FromTimestamp(validity.to_time()) <= FromTimestamp(validity.from_time())) {
    problems.push_back({field, "ends ('to') before it starts ('from'), or "
                               "when it starts"});
  }
  for (int day : validity.weekdays()) {
    if (day < loyalty::v1::WEEKDAY_MONDAY || day > loyalty::v1::WEEKDAY_SUNDAY) {
      problems.push_back({absl::StrCat(field, ".weekdays"),
                          absl::StrCat("unknown weekday ", day)});
    }
  }
  if (!validity.has_hours()) return;
  const loyalty::v1::HourRange& hours = validity.hours();
  if (hours.from_hour() < 0 || hours.from_hour() > 23 || hours.to_hour() < 1 ||
      hours.to_hour() > 24 || hours.from_hour() == hours.to_hour()) {
    problems.push_back(
        {absl::StrCat(field, ".hours"),
         absl::StrCat("must run from an hour 0..23 to a different hour "
                      "1..24, got ",
                      hours.from_hour(), "-", hours.to_hour())});
  }
}

void CheckCaps(const loyalty::v1::Caps& caps, const std::string& field,
               Problems& problems) {
  const std::pair<bool, int64_t> values[] = {
      {caps.has_per_order(), caps.per_order()},
      {caps.has_per_member_per_day(), caps.per_member_per_day()},
      {caps.has_per_member_per_month(), caps.per_member_per_month()},
      {caps.has_per_member_per_year(), caps.per_member_per_year()},
      {caps.has_budget(), caps.budget()}};
  const char* names[] = {"per_order", "per_member_per_day",
                         "per_member_per_month", "per_member_per_year",
                         "budget"};
  for (size_t i = 0; i < std::size(values); ++i) {
    if (values[i].first && values[i].second < 0) {
      problems.push_back({absl::StrCat(field, ".", names[i]),
                          absl::StrCat("must be 0 or more, got ",
                                       values[i].second)});
    }
  }
}

void CheckTexts(const google::protobuf::RepeatedPtrField<std::string>& texts,
                const std::string& field, Problems& problems) {
  if (texts.size() > kMaxListEntries) {
    problems.push_back({field, absl::StrCat("may hold at most ",
                                            kMaxListEntries, " entries")});
  }
  for (const std::string& text : texts) {
    if (text.empty()) problems.push_back({field, "holds an empty name"});
  }
}

void CheckScope(const loyalty::v1::Scope& scope, const std::string& field,
                Problems& problems) {
  for (int channel : scope.channels()) {
    if (channel != loyalty::v1::CHANNEL_POS &&
        channel != loyalty::v1::CHANNEL_ESHOP) {
      problems.push_back({absl::StrCat(field, ".channels"),
                          absl::StrCat("unknown channel ", channel)});
    }
  }
  CheckTexts(scope.partners(), absl::StrCat(field, ".partners"), problems);
  CheckTexts(scope.stores(), absl::StrCat(field, ".stores"), problems);
}

void CheckCondition(const std::string& text, ConditionKind kind,
                    const std::string& field, Problems& problems) {
  Symbols symbols;
  absl::StatusOr<Condition> condition = Condition::Compile(text, kind, symbols);
  if (!condition.ok()) {
    problems.push_back({field, std::string(condition.status().message())});
  }
}

void CheckLines(const std::string& lines, const std::string& field,
                Problems& problems) {
  if (!lines.empty()) {
    CheckCondition(lines, ConditionKind::kLine, absl::StrCat(field, ".lines"),
                   problems);
  }
}

void CheckLadder(const loyalty::v1::VolumeLadder& ladder,
                 const std::string& field, Problems& problems) {
  if (ladder.bands_size() == 0 || ladder.bands_size() > kMaxBands) {
    problems.push_back({absl::StrCat(field, ".bands"),
                        absl::StrCat("must hold 1 to ", kMaxBands,
                                     " bands, got ", ladder.bands_size())});
  }
  for (int i = 0; i < ladder.bands_size(); ++i) {
    const loyalty::v1::VolumeBand& band = ladder.bands(i);
    const std::string path = absl::StrCat(field, ".bands[", i, "]");
    CheckRange(band.percent(), 0, 100, absl::StrCat(path, ".percent"), "",
               problems);
    if (band.from_minor() < 0) {
      problems.push_back({absl::StrCat(path, ".from_minor"),
                          absl::StrCat("must be 0 or more, got ",
                                       band.from_minor())});
    } else if (i > 0 && band.from_minor() <= ladder.bands(i - 1).from_minor()) {
      problems.push_back(
          {absl::StrCat(path, ".from_minor"),
           absl::StrCat("bands must go up: ", band.from_minor(),
                        " is not above ", ladder.bands(i - 1).from_minor())});
    }
  }
}

// The `lines` condition of the rule's effect, after its other fields (every
// effect but bonus_points and gift has one).
void CheckEffectLines(const loyalty::v1::Rule& rule,
                      const google::protobuf::FieldDescriptor& set,
                      const std::string& field, Problems& problems) {
  const google::protobuf::Message& effect =
      rule.GetReflection()->GetMessage(rule, &set);
  const auto* lines = effect.GetDescriptor()->FindFieldByName("lines");
  if (lines == nullptr) return;
  CheckLines(effect.GetReflection()->GetString(effect, lines), field, problems);
}

void CheckGift(const loyalty::v1::GiftEffect& gift, const std::string& field,
               Problems& problems) {
  constexpr int64_t kMaxGiftQuantity = 100;
  if (gift.sku().empty()) {
    problems.push_back({absl::StrCat(field, ".sku"), "must not be empty"});
  }
  if (gift.description().empty()) {
    problems.push_back(
        {absl::StrCat(field, ".description"), "must not be empty"});
  }
  CheckRange(gift.quantity(), 0, kMaxGiftQuantity,
             absl::StrCat(field, ".quantity"), "", problems);
}

void CheckEffect(const loyalty::v1::Rule& rule, const std::string& rule_field,
                 Problems& problems) {
  constexpr int64_t kMaxMultiplierPercent = 10000;
  using R = loyalty::v1::Rule;
  const google::protobuf::FieldDescriptor* set =
      rule.GetReflection()->GetOneofFieldDescriptor(
          rule, R::descriptor()->FindOneofByName("effect"));
  const std::string field =
      absl::StrCat(rule_field, ".", set == nullptr ? "" : set->name());
  switch (rule.effect_case()) {
    case R::kPointsPerAmount:
      CheckPositive(rule.points_per_amount().points(), field + ".points",
                    problems);
      CheckPositive(rule.points_per_amount().per_minor(), field + ".per_minor",
                    problems);
      break;
    case R::kMultiplyPoints:
      CheckRange(rule.multiply_points().percent(), 101, kMaxMultiplierPercent,
                 field + ".percent", " (200 is double points)", problems);
      break;
    case R::kBonusPoints:
      CheckPositive(rule.bonus_points().points(), field + ".points", problems);
      break;
    case R::kPercentDiscount:
      CheckRange(rule.percent_discount().percent(), 1, 100,
                 field + ".percent", "", problems);
      break;
    case R::kFixedDiscount:
      CheckPositive(rule.fixed_discount().amount_minor(),
                    field + ".amount_minor", problems);
      break;
    case R::kCashback:
      CheckRange(rule.cashback().basis_points(), 1, kBasisPointsPerWhole,
                 field + ".basis_points", " (0.01% to 100%)", problems);
      break;
    case R::kGift:
      CheckGift(rule.gift(), field, problems);
      break;
    case R::kVolumeLadder:
      CheckLadder(rule.volume_ladder(), field, problems);
      break;
    case R::EFFECT_NOT_SET:
      problems.push_back(
          {rule_field,
           "needs exactly one effect: points_per_amount, multiply_points, "
           "bonus_points, percent_discount, fixed_discount, cashback, gift "
           "or volume_ladder"});
      return;
  }
  CheckEffectLines(rule, *set, field, problems);
}

void CheckRule(const loyalty::v1::Rule& rule, const std::string& field,
               Problems& problems) {
  CheckId(rule.id(), field + ".id", problems);
  if (rule.description().empty() ||
      rule.description().size() > kMaxDescriptionLength) {
    problems.push_back(
        {field + ".description",
         absl::StrCat("must hold 1 to ", kMaxDescriptionLength,
                      " characters (the cashier reads it), got ",
                      rule.description().size())});
  }
  CheckCondition(rule.condition(), ConditionKind::kPurchase,
                 field + ".condition", problems);
  CheckValidity(rule.validity(), field + ".validity", problems);
  if (!rule.exclusive_group().empty()) {
    CheckId(rule.exclusive_group(), field + ".exclusive_group", problems);
  }
  CheckCaps(rule.caps(), field + ".caps", problems);
  CheckScope(rule.scope(), field + ".scope", problems);
  CheckEffect(rule, field, problems);
}

// Two validity windows can hold at the same instant. Conservative: dates,
// weekdays and hours are compared separately, so a pair that could only meet
// on a day their weekdays exclude is still reported.
bool WindowsOverlap(const loyalty::v1::Validity& a,
                    const loyalty::v1::Validity& b) {
  const Window wa = MakeWindow(a);
  const Window wb = MakeWindow(b);
  if (std::max(wa.from, wb.from) >= std::min(wa.to, wb.to)) return false;
  const uint8_t days_a = wa.weekdays == 0 ? 0xFE : wa.weekdays;
  const uint8_t days_b = wb.weekdays == 0 ? 0xFE : wb.weekdays;
  const uint32_t hours_a = wa.hours == 0 ? 0xFFFFFF : wa.hours;
  const uint32_t hours_b = wb.hours == 0 ? 0xFFFFFF : wb.hours;
  return (days_a & days_b) != 0 && (hours_a & hours_b) != 0;
}

// Exclusive rules of one group with the same priority would leave the winner
// to chance; they are refused unless their windows never meet.
void CheckOverlaps(const RuleSet& rule_set, Problems& problems) {
  for (int j = 0; j < rule_set.rules_size(); ++j) {
    const loyalty::v1::Rule& later = rule_set.rules(j);
    if (later.exclusive_group().empty()) continue;
    for (int i = 0; i < j; ++i) {
      const loyalty::v1::Rule& earlier = rule_set.rules(i);
      if (earlier.exclusive_group() != later.exclusive_group() ||
          earlier.priority() != later.priority() ||
          !WindowsOverlap(earlier.validity(), later.validity())) {
        continue;
      }
      problems.push_back(
          {absl::StrCat("rules[", j, "].exclusive_group"),
           absl::StrCat("rule '", later.id(), "' and rule '", earlier.id(),
                        "' are in exclusive group '", later.exclusive_group(),
                        "' with the same priority ", later.priority(),
                        " and can be valid at the same time; give one a "
                        "higher priority or make their windows not overlap")});
      break;
    }
  }
}

void CheckRules(const RuleSet& rule_set, Problems& problems) {
  CheckCount(rule_set.rules_size(), kMaxRules, "rules", "rules", problems);
  absl::flat_hash_map<std::string, int> seen;
  for (int i = 0; i < rule_set.rules_size(); ++i) {
    const std::string field = absl::StrCat("rules[", i, "]");
    CheckRule(rule_set.rules(i), field, problems);
    CheckUniqueId(seen, {"rules", "rule id"}, rule_set.rules(i).id(), i, field,
                  problems);
  }
  CheckOverlaps(rule_set, problems);
}

void CheckPromoCode(const loyalty::v1::PromoCode& code,
                    const absl::flat_hash_map<std::string, int>& rule_ids,
                    const std::string& field, Problems& problems) {
  constexpr size_t kMinCodeLength = 3;
  constexpr size_t kMaxCodeLength = 32;
  const std::string& text = code.code();
  if (text.size() < kMinCodeLength || text.size() > kMaxCodeLength ||
      !std::all_of(text.begin(), text.end(), IsCodeChar)) {
    problems.push_back(
        {field + ".code",
         absl::StrCat("must be ", kMinCodeLength, " to ", kMaxCodeLength,
                      " letters, digits, '-' or '_', got '", text, "'")});
  }
  if (code.rule_ids().empty() || code.rule_ids_size() > kMaxListEntries) {
    problems.push_back({field + ".rule_ids", "must name 1 or more rules"});
  }
  for (const std::string& id : code.rule_ids()) {
    if (!rule_ids.contains(id)) {
      problems.push_back({field + ".rule_ids",
                          absl::StrCat("no rule has the id '", id, "'")});
    }
  }
  CheckValidity(code.validity(), field + ".validity", problems);
  for (const auto& [has, value, name] :
       {std::tuple{code.has_max_uses(), code.max_uses(), "max_uses"},
        std::tuple{code.has_max_uses_per_member(), code.max_uses_per_member(),
                   "max_uses_per_member"}}) {
    if (!has) continue;
    if (!code.member_id().empty()) {
      problems.push_back({absl::StrCat(field, ".", name),
                          "a personal code (with a member) is used once; "
                          "leave the limit out"});
    } else if (value < 0) {
      problems.push_back({absl::StrCat(field, ".", name),
                          absl::StrCat("must be 0 or more, got ", value)});
    }
  }
}

void CheckPromoCodes(const RuleSet& rule_set, Problems& problems) {
  CheckCount(rule_set.promo_codes_size(), kMaxPromoCodes, "promo_codes",
             "promo codes", problems);
  absl::flat_hash_map<std::string, int> rule_ids;
  for (int i = 0; i < rule_set.rules_size(); ++i) {
    rule_ids.emplace(rule_set.rules(i).id(), i);
  }
  absl::flat_hash_map<std::string, int> seen;
  for (int i = 0; i < rule_set.promo_codes_size(); ++i) {
    const loyalty::v1::PromoCode& code = rule_set.promo_codes(i);
    const std::string field = absl::StrCat("promo_codes[", i, "]");
    CheckPromoCode(code, rule_ids, field, problems);
    CheckDuplicate(seen, {"promo_codes", "promo code", "; codes ignore case"},
                   absl::AsciiStrToUpper(code.code()), code.code(), i,
                   field + ".code", problems);
  }
}

void CheckExclusions(const RuleSet& rule_set, Problems& problems) {
  if (rule_set.exclusions_size() > kMaxExclusions) {
    problems.push_back({"exclusions", absl::StrCat("at most ", kMaxExclusions,
                                                   " exclusions")});
  }
  for (int i = 0; i < rule_set.exclusions_size(); ++i) {
    const loyalty::v1::Exclusion& exclusion = rule_set.exclusions(i);
    const std::string field = absl::StrCat("exclusions[", i, "]");
    if (exclusion.skus().empty() && exclusion.categories().empty()) {
      problems.push_back({field, "must name skus or categories"});
    }
    CheckTexts(exclusion.skus(), field + ".skus", problems);
    CheckTexts(exclusion.categories(), field + ".categories", problems);
    if (exclusion.scope() < loyalty::v1::EXCLUSION_SCOPE_EARNING ||
        exclusion.scope() > loyalty::v1::EXCLUSION_SCOPE_BOTH) {
      problems.push_back({field + ".scope",
                          "must be one of earning, burning, both"});
    }
  }
}

void CheckPoints(const loyalty::v1::PointsSettings& points,
                 Problems& problems) {
  constexpr int64_t kMaxPendingDays = 365;
  constexpr int64_t kMaxLifetimeDays = 3650;
  CheckRange(points.pending_days(), 0, kMaxPendingDays, "points.pending_days",
             " days", problems);
  CheckRange(points.lifetime_days(), 0, kMaxLifetimeDays,
             "points.lifetime_days", " days (0: points never expire)",
             problems);
  constexpr int64_t kMaxExpiryNoticeDays = 365;  // expiry_notice.h
  CheckRange(points.expiry_notice_days(), 0, kMaxExpiryNoticeDays,
             "points.expiry_notice_days", " days (0: no expiry notices)",
             problems);
  // Compared only when pending_days is in range: a bad one is reported once.
  if (points.lifetime_days() > 0 && points.pending_days() >= 0 &&
      points.pending_days() <= kMaxPendingDays &&
      points.lifetime_days() <= points.pending_days()) {
    problems.push_back(
        {"points.lifetime_days",
         absl::StrCat("must be more than pending_days (", points.pending_days(),
                      "): points would expire before they can be spent, "
                      "got ",
                      points.lifetime_days())});
  }
}

void CheckBenefits(const loyalty::v1::TierBenefits& benefits,
                   const std::string& field, Problems& problems) {
  constexpr int64_t kMinTierMultiplierPercent = 100;
  constexpr int64_t kMaxTierMultiplierPercent = 1000;
  const int64_t multiplier = benefits.earn_multiplier_percent();
  if (multiplier != 0 && (multiplier < kMinTierMultiplierPercent ||
                          multiplier > kMaxTierMultiplierPercent)) {
    problems.push_back(
        {field + ".earn_multiplier_percent",
         absl::StrCat("must be 0 (no change) or between ",
                      kMinTierMultiplierPercent, " and ",
                      kMaxTierMultiplierPercent,
                      " (150 is one and a half times the points), got ",
                      multiplier)});
  }
  CheckRange(benefits.discount_percent(), 0, 100, field + ".discount_percent",
             "", problems);
  CheckRange(benefits.cashback_basis_points(), 0, kBasisPointsPerWhole,
             field + ".cashback_basis_points", " (0% to 100%)", problems);
  CheckTexts(benefits.perks(), field + ".perks", problems);
  for (const std::string& perk : benefits.perks()) {
    if (perk.size() > kMaxDescriptionLength) {
      problems.push_back({field + ".perks",
                          absl::StrCat("a perk may hold at most ",
                                       kMaxDescriptionLength,
                                       " characters, got ", perk.size())});
    }
  }
}

// A threshold as the file writes it: money for a spend measure.
std::string ThresholdText(const loyalty::v1::TierSettings& tiers,
                          int64_t threshold, absl::string_view currency) {
  return tiers.measure() == loyalty::v1::TIER_MEASURE_SPEND
             ? FormatMoney(threshold, currency)
             : absl::StrCat(threshold);
}

// The threshold of level `i`: 0 for the first, above the one before for the
// others.
void CheckThreshold(const loyalty::v1::TierSettings& tiers, int i,
                    absl::string_view currency, const std::string& field,
                    Problems& problems) {
  const int64_t threshold = tiers.levels(i).threshold();
  if (i == 0 && threshold != 0) {
    problems.push_back(
        {field + ".threshold",
         absl::StrCat("the first level must have threshold 0 "
                      "(every member is at least in it), "
                      "got ",
                      ThresholdText(tiers, threshold, currency))});
  } else if (i > 0 && threshold <= tiers.levels(i - 1).threshold()) {
    problems.push_back(
        {field + ".threshold",
         absl::StrCat(
             "thresholds must go up: ",
             ThresholdText(tiers, threshold, currency), " is not above ",
             ThresholdText(tiers, tiers.levels(i - 1).threshold(), currency))});
  }
}

void CheckLevels(const loyalty::v1::TierSettings& tiers,
                 absl::string_view currency, Problems& problems) {
  if (tiers.levels_size() == 0 || tiers.levels_size() > kMaxTierLevels) {
    problems.push_back({"tiers.levels",
                        absl::StrCat("must hold 1 to ", kMaxTierLevels,
                                     " levels, the first with threshold 0, "
                                     "got ",
                                     tiers.levels_size())});
  }
  CheckCatalogue(
      tiers.levels(), {"tiers.levels", "tier id"}, &loyalty::v1::Tier::name,
      "name", problems,
      [&](const loyalty::v1::Tier& tier, int i, const std::string& field) {
        CheckThreshold(tiers, i, currency, field, problems);
        CheckBenefits(tier.benefits(), field + ".benefits", problems);
      });
}

// A calendar-year window is counted and reviewed by the calendar, so the day
// counts of a rolling window would be ignored: they are refused instead.
void CheckTierWindow(const loyalty::v1::TierSettings& tiers,
                     Problems& problems) {
  constexpr int64_t kMaxWindowDays = 3660;
  if (tiers.window() == loyalty::v1::TIER_WINDOW_ROLLING) {
    CheckRange(tiers.window_days(), 1, kMaxWindowDays, "tiers.window_days",
               " days", problems);
    CheckRange(tiers.review_days(), 0, kMaxWindowDays, "tiers.review_days",
               " days (0: every window_days)", problems);
    return;
  }
  if (tiers.window() != loyalty::v1::TIER_WINDOW_CALENDAR_YEAR) {
    problems.push_back({"tiers.window",
                        absl::StrCat("must be one of rolling, calendar_year, "
                                     "got ",
                                     tiers.window())});
    return;
  }
  for (const auto& [value, name] :
       {std::pair{tiers.window_days(), "window_days"},
        std::pair{tiers.review_days(), "review_days"}}) {
    if (value == 0) continue;
    problems.push_back({absl::StrCat("tiers.", name),
                        absl::StrCat("only a rolling window has ", name,
                                     "; a calendar-year window counts the "
                                     "current year and is reviewed when a "
                                     "new one starts, got ",
                                     value)});
  }
}

void CheckTiers(const loyalty::v1::TierSettings& tiers,
                absl::string_view currency, Problems& problems) {
  constexpr int64_t kMaxGraceDays = 365;
  // An empty message (no section, or an RPC that left it empty): no tiers.
  if (tiers.ByteSizeLong() == 0) return;
  if (tiers.measure() != loyalty::v1::TIER_MEASURE_SPEND &&
      tiers.measure() != loyalty::v1::TIER_MEASURE_POINTS_EARNED &&
      tiers.measure() != loyalty::v1::TIER_MEASURE_VISITS) {
    problems.push_back({"tiers.measure",
                        absl::StrCat("must be one of spend, points_earned, "
                                     "visits, got ",
                                     tiers.measure())});
  }
  CheckTierWindow(tiers, problems);
  CheckRange(tiers.grace_days(), 0, kMaxGraceDays, "tiers.grace_days",
             " days", problems);
  CheckLevels(tiers, currency, problems);
}

void CheckRewards(const RuleSet& rule_set, Problems& problems) {
  CheckCount(rule_set.rewards_size(), kMaxRewards, "rewards", "rewards",
             problems);
  CheckCatalogue(
      rule_set.rewards(), {"rewards", "reward id"},
      &loyalty::v1::Reward::description, "description", problems,
      [&](const loyalty::v1::Reward& reward, int, const std::string& field) {
        CheckPositive(reward.points(), field + ".points", problems);
        if (reward.has_stock() && reward.stock() < 0) {
          problems.push_back(
              {field + ".stock",
               absl::StrCat("must be 0 or more (leave it out for "
                            "no limit), got ",
                            reward.stock())});
        }
        CheckValidity(reward.validity(), field + ".validity", problems);
      });
}

void CheckBirthday(const RuleSet& rule_set, Problems& problems) {
  if (!rule_set.has_birthday()) return;
  const loyalty::v1::BirthdayGift& birthday = rule_set.birthday();
  CheckPositive(birthday.points(), "birthday.points", problems);
  if (birthday.when() != loyalty::v1::BIRTHDAY_WHEN_WEEK &&
      birthday.when() != loyalty::v1::BIRTHDAY_WHEN_MONTH) {
    problems.push_back({"birthday.when",
                        absl::StrCat("must be one of week, month, got ",
                                     birthday.when())});
  }
}

}  // namespace

static void CheckReferral(const loyalty::v1::ReferralSettings& referral,
                   Problems& problems) {
  constexpr int64_t kMaxReward = int64_t{1} << 40;  // far above any program
  for (const auto& [value, field] :
       {std::pair<int64_t, const char*>{referral.referrer_points(), "referral.referrer_points"},
        {referral.newcomer_points(), "referral.newcomer_points"},
        {referral.referrer_cashback_minor(), "referral.referrer_cashback_minor"},
        {referral.newcomer_cashback_minor(), "referral.newcomer_cashback_minor"},
        {referral.min_purchase_minor(), "referral.min_purchase_minor"},
        {referral.max_per_referrer_per_month(), "referral.max_per_referrer_per_month"}}) {
    CheckRange(value, 0, kMaxReward, field, "", problems);
  }
}

std::vector<RuleProblem> CheckRuleSet(const RuleSet& rule_set) {
  Problems problems;
  CheckReferral(rule_set.referral(), problems);
  CheckProgram(rule_set.program(), problems);
  CheckEarn(rule_set.earn(), problems);
  CheckBurn(rule_set.burn(), problems);
  CheckRules(rule_set, problems);
  CheckPromoCodes(rule_set, problems);
  CheckExclusions(rule_set, problems);
  CheckPoints(rule_set.points(), problems);
  CheckTiers(rule_set.tiers(), rule_set.program().currency(), problems);
  CheckRewards(rule_set, problems);
  CheckBirthday(rule_set, problems);
  return problems;
}

}  // namespace loyalty::evaluator::internal

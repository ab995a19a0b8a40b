// The prepared form of a rule set (internal to engine/evaluator): what
// CompiledRules::Compile builds once and PricePurchase reads. Pointers into
// the RuleSet stay valid because CompiledRules owns both and never moves.
#ifndef LOYALTY_ENGINE_EVALUATOR_COMPILED_H_
#define LOYALTY_ENGINE_EVALUATOR_COMPILED_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "engine/base/limits.h"
#include "engine/evaluator/condition.h"
#include "loyalty/v1/rules.pb.h"

namespace loyalty::evaluator::internal {

// Bounds on a rule set (TIGER_STYLE).
inline constexpr int kMaxRules = 500;
inline constexpr int kMaxPromoCodes = 10000;
inline constexpr int kMaxExclusions = 100;
inline constexpr int kMaxBands = 20;
inline constexpr int kMaxListEntries = 1000;  // skus, stores, rule ids, ...
inline constexpr int kMaxPromoCodesPerPurchase = ::loyalty::kMaxPromoCodesPerPurchase;
inline constexpr int kMaxTierLevels = 20;
inline constexpr int kMaxRewards = 1000;

enum class EffectKind : uint8_t {
  kPointsPerAmount,
  kMultiplyPoints,
  kBonusPoints,
  kPercentDiscount,
  kFixedDiscount,
  kCashback,
  kGift,
  kVolumeLadder,
};

// What a rule's caps and usage are counted in.
enum class CapUnit : uint8_t { kPoints, kMoney, kGifts };

// A validity window ready to test against an instant and its local time.
struct Window {
  absl::Time from = absl::InfinitePast();  // inclusive
  absl::Time to = absl::InfiniteFuture();  // exclusive
  uint8_t weekdays = 0;                    // bit d for ISO day d; 0: every day
  uint32_t hours = 0;                      // bit h for local hour h; 0: all
};

struct CompiledRule {
  const loyalty::v1::Rule* rule = nullptr;
  int index = 0;  // in the RuleSet, for field paths
  EffectKind kind = EffectKind::kBonusPoints;
  CapUnit unit = CapUnit::kPoints;
  Condition condition;
  Condition lines;        // the effect's line condition
  bool line_scoped = false;
  int group = -1;         // exclusive group number, -1: stackable
  bool needs_promo_code = false;
  Window window;
  // The rule's name in its applied rows: the description, with the window
  // when it has weekdays or hours: "Weekend double points (Sat–Sun)".
  std::string title;
  uint32_t channels = 0;     // bit per loyalty.v1.Channel; 0: all
  std::vector<int64_t> partners;  // interned; empty: all
  std::vector<int64_t> stores;
  bool member_capped = false;  // any per-member cap
};

struct CompiledPromoCode {
  const loyalty::v1::PromoCode* code = nullptr;
  std::string normalized;             // upper case
  std::vector<int> rule_positions;    // into CompiledProgram::rules
  Window window;
};

// A tier level that gives something, ready for pricing.
struct CompiledTier {
  const loyalty::v1::Tier* tier = nullptr;
  int64_t symbol = kUnknownText;  // the interned id, as MemberState::tier
  std::string row_id;             // "tier:gold", its applied rows' rule_id
  std::string title;              // "Gold tier", how its rows start
};

// Per-symbol exclusion bits (a symbol is a SKU or a category text).
inline constexpr uint8_t kSkuNoEarn = 1;
inline constexpr uint8_t kSkuNoBurn = 2;
inline constexpr uint8_t kCategoryNoEarn = 4;
inline constexpr uint8_t kCategoryNoBurn = 8;

struct CompiledProgram {
  Symbols symbols;
  absl::TimeZone zone;
  loyalty::v1::ApplicationOrder order =
      loyalty::v1::APPLICATION_ORDER_DISCOUNTS_BURN_EARN;
  std::vector<CompiledRule> rules;  // priority descending, then id ascending
  int group_count = 0;
  std::vector<CompiledPromoCode> promo_codes;  // by normalized code
  std::vector<uint8_t> exclusion_bits;         // by symbol id
  bool has_exclusions = false;
  // The levels with a benefit (at most kMaxTierLevels): pricing finds the
  // member's by symbol, without touching a string.
  std::vector<CompiledTier> tiers;
};

// Builds `window` from `validity` (assumed checked).
Window MakeWindow(const loyalty::v1::Validity& validity);

// The ISO weekday (1..7) and hour bits of a window, for the overlap check.
uint8_t WeekdayBits(const loyalty::v1::Validity& validity);
uint32_t HourBits(const loyalty::v1::Validity& validity);

// Whether `window` holds at `time`, whose local time is `local`.
bool WindowHolds(const Window& window, absl::Time time,
                 const absl::CivilSecond& local);

}  // namespace loyalty::evaluator::internal

#endif  // LOYALTY_ENGINE_EVALUATOR_COMPILED_H_

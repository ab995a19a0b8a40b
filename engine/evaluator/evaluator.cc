// Pricing in the order evaluator.h documents. Every amount is an int64 in
// minor units or points; products that could leave int64 are computed in
// __int128 or with checked arithmetic, and rounding is exact integer
// division, never floating point, so the same inputs give the same bytes.
#include "engine/evaluator/evaluator.h"

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/base/checked_math.h"
#include "engine/base/error.h"
#include "engine/base/sha256.h"
#include "engine/base/status_macros.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/io/zero_copy_stream_impl_lite.h"

namespace loyalty::evaluator {
namespace {

using loyalty::v1::AppliedRule;
using loyalty::v1::PricedPurchase;
using loyalty::v1::Purchase;
using loyalty::v1::PurchaseLine;
using loyalty::v1::Rounding;
using loyalty::v1::RuleSet;

// Bounds (TIGER_STYLE: a limit on everything). A till receipt with more than
// a thousand lines is a client bug, not a basket.
constexpr int kMaxLines = 1000;
constexpr size_t kMaxProgramIdLength = 64;
constexpr size_t kVersionHexDigits = 16;
constexpr int64_t kBasisPointsPerWhole = 10000;
constexpr int64_t kMaxBasketSharePercent = 100;
// Amounts are shown with two decimals, as for EUR/USD; the program currency
// is the only one priced, so this is a display choice, not arithmetic.
constexpr int64_t kMinorPerMajor = 100;

bool IsCurrencyCode(absl::string_view code) {
  return code.size() == 3 && std::all_of(code.begin(), code.end(), [](char c) {
           return c >= 'A' && c <= 'Z';
         });
}

bool IsProgramIdChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

// --- Rule-set range checks ---

void CheckProgram(const loyalty::v1::ProgramSettings& program,
                  std::vector<internal::RuleProblem>& problems) {
  const std::string& id = program.program_id();
  if (id.empty()) {
    problems.push_back({"program.program_id", "must not be empty"});
  } else if (id.size() > kMaxProgramIdLength) {
    problems.push_back({"program.program_id",
                        absl::StrCat("must be at most ", kMaxProgramIdLength,
                                     " characters, got ", id.size())});
  } else if (!std::all_of(id.begin(), id.end(), IsProgramIdChar)) {
    problems.push_back(
        {"program.program_id",
         absl::StrCat("may hold only letters, digits, '_', '.' and '-', got '",
                      id, "'")});
  }
  if (!IsCurrencyCode(program.currency())) {
    problems.push_back(
        {"program.currency",
         absl::StrCat("must be a 3-letter upper-case ISO 4217 code such as "
                      "EUR, got '",
                      program.currency(), "'")});
  }
  if (program.point_value_minor() <= 0) {
    problems.push_back({"program.point_value_minor",
                        absl::StrCat("must be greater than 0, got ",
                                     program.point_value_minor())});
  }
}

void CheckEarn(const loyalty::v1::EarnSettings& earn,
               std::vector<internal::RuleProblem>& problems) {
  if (earn.points() < 0) {
    problems.push_back({"earn.points", absl::StrCat("must be 0 or more, got ",
                                                    earn.points())});
  }
  if (earn.per_minor() <= 0) {
    problems.push_back(
        {"earn.per_minor",
         absl::StrCat("must be greater than 0, got ", earn.per_minor())});
  }
  if (earn.rounding() < loyalty::v1::ROUNDING_DOWN ||
      earn.rounding() > loyalty::v1::ROUNDING_UP) {
    problems.push_back({"earn.rounding",
                        absl::StrCat("must be one of down, half_up, half_even, "
                                     "up, got ",
                                     earn.rounding())});
  }
  if (earn.cashback_basis_points() < 0 ||
      earn.cashback_basis_points() > kBasisPointsPerWhole) {
    problems.push_back(
        {"earn.cashback_basis_points",
         absl::StrCat("must be between 0 and ", kBasisPointsPerWhole,
                      " (0% to 100%), got ", earn.cashback_basis_points())});
  }
}

void CheckBurn(const loyalty::v1::BurnSettings& burn,
               std::vector<internal::RuleProblem>& problems) {
  if (burn.max_basket_share_percent() < 0 ||
      burn.max_basket_share_percent() > kMaxBasketSharePercent) {
    problems.push_back(
        {"burn.max_basket_share_percent",
         absl::StrCat("must be between 0 and ", kMaxBasketSharePercent,
                      ", got ", burn.max_basket_share_percent())});
  }
  if (burn.earned_points_pay_same_order()) {
    problems.push_back(
        {"burn.earned_points_pay_same_order",
         "must be false: points earned on an order can never pay for that "
         "same order"});
  }
}

// --- Words for the cashier ---

// "12.34 EUR"; negative amounts keep their sign.
std::string Money(int64_t minor, absl::string_view currency) {
  // The magnitude of INT64_MIN does not fit in int64, so work unsigned.
  const uint64_t magnitude = minor < 0 ? 0 - static_cast<uint64_t>(minor)
                                       : static_cast<uint64_t>(minor);
  return absl::StrCat(minor < 0 ? "-" : "", magnitude / kMinorPerMajor, ".",
                      absl::Dec(magnitude % kMinorPerMajor, absl::kZeroPad2),
                      " ", currency);
}

std::string Points(int64_t points) {
  return absl::StrCat(points, points == 1 ? " point" : " points");
}

// 250 -> "2.5%", 100 -> "1%", 5 -> "0.05%".
std::string Percent(int64_t basis_points) {
  std::string text = absl::StrCat(basis_points / 100);
  if (int64_t hundredths = basis_points % 100; hundredths != 0) {
    absl::StrAppend(&text, ".",
                    hundredths % 10 == 0
                        ? absl::StrCat(hundredths / 10)
                        : absl::StrCat(absl::Dec(hundredths, absl::kZeroPad2)));
  }
  return absl::StrCat(text, "%");
}

std::string RoundingWords(Rounding rounding) {
  switch (rounding) {
    case loyalty::v1::ROUNDING_HALF_UP:
      return "rounded half up";
    case loyalty::v1::ROUNDING_HALF_EVEN:
      return "rounded half to even";
    case loyalty::v1::ROUNDING_UP:
      return "rounded up";
    default:
      return "rounded down";
  }
}

std::string ShareWords(int64_t percent) {
  return absl::StrCat("up to ", percent,
                      "% of the basket may be paid with points and cashback");
}

// "up to 50% of the basket (5.00 EUR) may be paid with points and cashback"
std::string CapWords(const RuleSet& rules, int64_t share_cap_minor) {
  return absl::StrCat("up to ", rules.burn().max_basket_share_percent(),
                      "% of the basket (",
                      Money(share_cap_minor, rules.program().currency()),
                      ") may be paid with points and cashback");
}

// --- Validation ---

absl::Status ValidateHeader(const Purchase& purchase,
                            absl::string_view program_currency) {
  if (purchase.member_id().empty()) {
    return InvalidArgument("MISSING_FIELD", "purchase.member_id",
                           "a member id is required");
  }
  if (purchase.order_id().empty()) {
    return InvalidArgument("MISSING_FIELD", "purchase.order_id",
                           "an order id is required");
  }
  if (purchase.currency().empty()) {
    return InvalidArgument(
        "MISSING_FIELD", "purchase.currency",
        absl::StrCat("a currency is required; this program prices in ",
                     program_currency));
  }
  if (!IsCurrencyCode(purchase.currency())) {
    return InvalidArgument(
        "INVALID_CURRENCY", "purchase.currency",
        absl::StrCat("must be a 3-letter upper-case ISO 4217 code such as "
                     "EUR, got '",
                     purchase.currency(), "'"));
  }
  if (purchase.currency() != program_currency) {
    return InvalidArgument(
        "UNSUPPORTED_CURRENCY", "purchase.currency",
        absl::StrCat("this program prices in ", program_currency, ", got ",
                     purchase.currency()));
  }
  return absl::OkStatus();
}

// The line's total, quantity * unit price, or why the line is refused.
absl::StatusOr<int64_t> LineTotal(const PurchaseLine& line, int index) {
  const std::string field = absl::StrCat("purchase.lines[", index, "]");
  if (line.sku().empty()) {
    return InvalidArgument("MISSING_FIELD", absl::StrCat(field, ".sku"),
                           "a SKU is required");
  }
  if (line.quantity() <= 0) {
    return InvalidArgument(
        "INVALID_QUANTITY", absl::StrCat(field, ".quantity"),
        absl::StrCat("must be greater than 0, got ", line.quantity()));
  }
  if (line.unit_price_minor() <= 0) {
    return InvalidArgument(
        "INVALID_PRICE", absl::StrCat(field, ".unit_price_minor"),
        absl::StrCat("must be greater than 0, got ", line.unit_price_minor()));
  }
  std::optional<int64_t> total =
      CheckedMul(line.quantity(), line.unit_price_minor());
  if (!total.has_value()) {
    return InvalidArgument(
        "AMOUNT_OVERFLOW", field,
        absl::StrCat("quantity ", line.quantity(), " times unit price ",
                     line.unit_price_minor(),
                     " does not fit in a 64-bit amount"));
  }
  return *total;
}

absl::StatusOr<int64_t> Subtotal(const Purchase& purchase) {
  if (purchase.lines_size() == 0) {
    return InvalidArgument("EMPTY_BASKET", "purchase.lines",
                           "a purchase needs at least one line");
  }
  if (purchase.lines_size() > kMaxLines) {
    return InvalidArgument("TOO_MANY_LINES", "purchase.lines",
                           absl::StrCat("at most ", kMaxLines, " lines, got ",
                                        purchase.lines_size()));
  }
  int64_t subtotal = 0;
  for (int i = 0; i < purchase.lines_size(); ++i) {
    ASSIGN_OR_RETURN(int64_t line_total, LineTotal(purchase.lines(i), i));
    std::optional<int64_t> sum = CheckedAdd(subtotal, line_total);
    if (!sum.has_value()) {
      return InvalidArgument(
          "AMOUNT_OVERFLOW", "purchase.lines",
          absl::StrCat("the basket total does not fit in a 64-bit amount "
                       "(overflow at line ",
                       i, ")"));
    }
    subtotal = *sum;
  }
  return subtotal;
}

// Requests that are never acceptable (INVALID_ARGUMENT) come before business
// refusals (FAILED_PRECONDITION), so a client fixing its request sees the
// request problems first.
absl::Status ValidatePaymentRequest(const Purchase& purchase) {
  if (purchase.redeem_points() < 0) {
    return InvalidArgument(
        "INVALID_AMOUNT", "purchase.redeem_points",
        absl::StrCat("must be 0 or more, got ", purchase.redeem_points()));
  }
  if (purchase.use_cashback_minor() < 0) {
    return InvalidArgument(
        "INVALID_AMOUNT", "purchase.use_cashback_minor",
        absl::StrCat("must be 0 or more, got ", purchase.use_cashback_minor()));
  }
  return absl::OkStatus();
}

// This version has no promotion rules, so every code is unknown; refusing it
// beats silently pricing without the discount the customer expects.
absl::Status RefusePromoCodes(const Purchase& purchase) {
  if (purchase.promo_codes_size() == 0) return absl::OkStatus();
  return FailedPrecondition("UNKNOWN_PROMO_CODE", "purchase.promo_codes[0]",
                            absl::StrCat("no promotion has the code '",
                                         purchase.promo_codes(0), "'"));
}

// --- Burning ---

struct Burn {
  int64_t share_cap_minor = 0;  // most that points and cashback may pay
  int64_t max_redeemable_points = 0;
  int64_t points = 0;
  int64_t points_value_minor = 0;
  int64_t cashback_minor = 0;
};

// Fills share_cap_minor and max_redeemable_points for a basket of `base_minor`.
Burn BurnLimits(const RuleSet& rules, const MemberState& member,
                int64_t base_minor) {
  Burn burn;
  // base <= INT64_MAX and percent <= 100: the product fits in __int128 and
  // the quotient is at most base, so it fits back into int64.
  burn.share_cap_minor = static_cast<int64_t>(
      static_cast<__int128>(base_minor) *
      rules.burn().max_basket_share_percent() / kMaxBasketSharePercent);
  const int64_t cap_points =
      burn.share_cap_minor / rules.program().point_value_minor();
  // A clawback may leave the balance negative; then nothing is redeemable.
  burn.max_redeemable_points =
      std::max<int64_t>(0, std::min(member.points_available, cap_points));
  return burn;
}

absl::Status CheckPoints(const RuleSet& rules, const MemberState& member,
                         const Purchase& purchase, const Burn& burn) {
  const int64_t requested = purchase.redeem_points();
  if (requested > 0 && requested > member.points_available) {
    return FailedPrecondition(
        "INSUFFICIENT_POINTS", "purchase.redeem_points",
        absl::StrCat("requested ", Points(requested), " but only ",
                     Points(std::max<int64_t>(0, member.points_available)),
                     " are available"));
  }
  if (requested > burn.max_redeemable_points) {
    return FailedPrecondition(
        "REDEEM_LIMIT_EXCEEDED", "purchase.redeem_points",
        absl::StrCat("requested ", Points(requested), " but at most ",
                     Points(burn.max_redeemable_points),
                     " may pay for this basket: ",
                     CapWords(rules, burn.share_cap_minor)));
  }
  return absl::OkStatus();
}

absl::Status CheckCashback(const RuleSet& rules, const MemberState& member,
                           const Purchase& purchase, const Burn& burn) {
  const int64_t requested = purchase.use_cashback_minor();
  const std::string& currency = rules.program().currency();
  if (requested > 0 && requested > member.cashback_minor) {
    return FailedPrecondition(
        "INSUFFICIENT_CASHBACK", "purchase.use_cashback_minor",
        absl::StrCat(
            "requested ", Money(requested, currency), " but the wallet holds ",
            Money(std::max<int64_t>(0, member.cashback_minor), currency)));
  }
  // Compare with what is left under the cap rather than adding, which could
  // overflow for a huge wallet; points never exceed the cap (checked before).
  const int64_t room_minor = burn.share_cap_minor - burn.points_value_minor;
  if (requested > room_minor) {
    return FailedPrecondition(
        "REDEEM_LIMIT_EXCEEDED", "purchase.use_cashback_minor",
        absl::StrCat("requested ", Money(requested, currency), " but at most ",
                     Money(room_minor, currency),
                     " more may be paid with cashback: ",
                     CapWords(rules, burn.share_cap_minor)));
  }
  return absl::OkStatus();
}

absl::StatusOr<Burn> PlanBurn(const RuleSet& rules, const MemberState& member,
                              const Purchase& purchase, int64_t base_minor) {
  Burn burn = BurnLimits(rules, member, base_minor);
  RETURN_IF_ERROR(CheckPoints(rules, member, purchase, burn));
  burn.points = purchase.redeem_points();
  // points <= share_cap / point_value, so the product is at most share_cap.
  burn.points_value_minor = burn.points * rules.program().point_value_minor();
  RETURN_IF_ERROR(CheckCashback(rules, member, purchase, burn));
  burn.cashback_minor = purchase.use_cashback_minor();
  return burn;
}

// --- Earning ---

struct Rounded {
  int64_t value = 0;
  bool exact = true;  // no fraction was dropped or added
};

// numerator / denominator rounded with `rounding`, for numerator >= 0 and
// denominator > 0 (so "toward zero" is floor and "away from zero" is
// ceiling); nullopt when the result does not fit in int64.
std::optional<Rounded> RoundQuotient(__int128 numerator, int64_t denominator,
                                     Rounding rounding) {
  __int128 quotient = numerator / denominator;
  const __int128 remainder = numerator % denominator;
  const __int128 twice_remainder = 2 * remainder;
  bool up = false;
  switch (rounding) {
    case loyalty::v1::ROUNDING_UP:
      up = remainder > 0;
      break;
    case loyalty::v1::ROUNDING_HALF_UP:
      up = twice_remainder >= denominator;
      break;
    case loyalty::v1::ROUNDING_HALF_EVEN:
      up = twice_remainder > denominator ||
           (twice_remainder == denominator && quotient % 2 == 1);
      break;
    default:
      break;  // ROUNDING_DOWN; Compile refuses anything else
  }
  if (up) ++quotient;
  if (quotient > std::numeric_limits<int64_t>::max()) return std::nullopt;
  return Rounded{static_cast<int64_t>(quotient), remainder == 0};
}

struct Earn {
  Rounded points;
  Rounded cashback_minor;
};

absl::StatusOr<Earn> PlanEarn(const RuleSet& rules, int64_t paid_minor) {
  const loyalty::v1::EarnSettings& earn = rules.earn();
  // Both factors are below 2^63, so the product is below 2^126.
  std::optional<Rounded> points =
      RoundQuotient(static_cast<__int128>(paid_minor) * earn.points(),
                    earn.per_minor(), earn.rounding());
  if (!points.has_value()) {
    return InvalidArgument(
        "AMOUNT_OVERFLOW", "purchase.lines",
        absl::StrCat("the points earned on ",
                     Money(paid_minor, rules.program().currency()),
                     " do not fit in a 64-bit amount"));
  }
  // At most paid_minor, since basis points are at most 10000: always fits.
  std::optional<Rounded> cashback = RoundQuotient(
      static_cast<__int128>(paid_minor) * earn.cashback_basis_points(),
      kBasisPointsPerWhole, earn.rounding());
  assert(cashback.has_value());
  return Earn{*points, *cashback};
}

// --- Explanation ---

void ExplainBurn(const RuleSet& rules, const Burn& burn,
                 PricedPurchase& priced) {
  const std::string& currency = rules.program().currency();
  const std::string share = ShareWords(rules.burn().max_basket_share_percent());
  if (burn.points != 0) {
    AppliedRule& row = *priced.add_applied();
    row.set_rule_id("points-redeemed");
    row.set_points(-burn.points);
    row.set_value_minor(burn.points_value_minor);
    row.set_explanation(absl::StrCat(
        Points(burn.points), burn.points == 1 ? " pays " : " pay ",
        Money(burn.points_value_minor, currency), " (", share, ")"));
  }
  if (burn.cashback_minor != 0) {
    AppliedRule& row = *priced.add_applied();
    row.set_rule_id("cashback-used");
    row.set_cashback_minor(-burn.cashback_minor);
    row.set_value_minor(burn.cashback_minor);
    row.set_explanation(absl::StrCat("Cashback wallet pays ",
                                     Money(burn.cashback_minor, currency), " (",
                                     share, ")"));
  }
}

std::string RoundingNote(const Rounded& rounded, Rounding rounding) {
  return rounded.exact ? "" : absl::StrCat(" (", RoundingWords(rounding), ")");
}

void ExplainEarn(const RuleSet& rules, const Earn& earn, int64_t paid_minor,
                 PricedPurchase& priced) {
  const std::string& currency = rules.program().currency();
  const std::string paid = Money(paid_minor, currency);
  if (earn.points.value != 0) {
    AppliedRule& row = *priced.add_applied();
    row.set_rule_id("base-earn");
    row.set_points(earn.points.value);
    row.set_explanation(
        absl::StrCat(Points(rules.earn().points()), " per ",
                     Money(rules.earn().per_minor(), currency), " paid: ", paid,
                     " paid earns ", Points(earn.points.value),
                     RoundingNote(earn.points, rules.earn().rounding())));
  }
  if (earn.cashback_minor.value != 0) {
    AppliedRule& row = *priced.add_applied();
    row.set_rule_id("base-cashback");
    row.set_cashback_minor(earn.cashback_minor.value);
    row.set_explanation(absl::StrCat(
        Percent(rules.earn().cashback_basis_points()),
        " cashback on what is paid: ", paid, " paid earns ",
        Money(earn.cashback_minor.value, currency), " cashback",
        RoundingNote(earn.cashback_minor, rules.earn().rounding())));
  }
}

}  // namespace

// --- Public ---

namespace internal {

std::vector<RuleProblem> CheckRuleSet(const RuleSet& rule_set) {
  std::vector<RuleProblem> problems;
  CheckProgram(rule_set.program(), problems);
  CheckEarn(rule_set.earn(), problems);
  CheckBurn(rule_set.burn(), problems);
  return problems;
}

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
  return std::shared_ptr<const CompiledRules>(
      new CompiledRules(std::move(rule_set)));
}

// `now` is part of the contract for time-bound rules (campaigns, expiry);
// the base rules of this version do not depend on the time.
absl::StatusOr<PricedPurchase> PricePurchase(const CompiledRules& rules,
                                             const MemberState& member,
                                             const Purchase& purchase,
                                             absl::Time /*now*/) {
  const RuleSet& rule_set = rules.rule_set();
  RETURN_IF_ERROR(ValidateHeader(purchase, rule_set.program().currency()));
  ASSIGN_OR_RETURN(const int64_t subtotal_minor, Subtotal(purchase));
  RETURN_IF_ERROR(ValidatePaymentRequest(purchase));
  RETURN_IF_ERROR(RefusePromoCodes(purchase));
  if (!member.member_id.empty() && member.member_id != purchase.member_id()) {
    // The caller read the wrong member: a bug in the caller, not the client.
    return absl::InternalError(absl::StrCat(
        "member state of '", member.member_id,
        "' used to price a purchase of '", purchase.member_id(), "'"));
  }
  const int64_t discount_minor = 0;  // no discount rules in this version
  const int64_t base_minor = subtotal_minor - discount_minor;
  ASSIGN_OR_RETURN(const Burn burn,
                   PlanBurn(rule_set, member, purchase, base_minor));
  // Burning stays within the share cap, which is at most base: never negative.
  const int64_t total_due_minor =
      base_minor - burn.points_value_minor - burn.cashback_minor;
  assert(total_due_minor >= 0);
  ASSIGN_OR_RETURN(const Earn earn, PlanEarn(rule_set, total_due_minor));

  PricedPurchase priced;
  priced.set_currency(rule_set.program().currency());
  priced.set_subtotal_minor(subtotal_minor);
  priced.set_discount_minor(discount_minor);
  priced.set_redeemed_points(burn.points);
  priced.set_redeemed_value_minor(burn.points_value_minor);
  priced.set_cashback_used_minor(burn.cashback_minor);
  priced.set_total_due_minor(total_due_minor);
  priced.set_points_earned(earn.points.value);
  priced.set_cashback_earned_minor(earn.cashback_minor.value);
  priced.set_max_redeemable_points(burn.max_redeemable_points);
  priced.set_tier(member.tier);
  ExplainBurn(rule_set, burn, priced);
  ExplainEarn(rule_set, earn, total_due_minor, priced);
  priced.set_rules_version(rules.version());
  return priced;
}

}  // namespace loyalty::evaluator

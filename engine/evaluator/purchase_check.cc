// Request checks of PricePurchase: what a purchase must look like before any
// rule is looked at. INVALID_ARGUMENT only; business refusals come later.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "engine/base/checked_math.h"
#include "engine/base/error.h"
#include "engine/base/limits.h"
#include "engine/base/status_macros.h"
#include "engine/evaluator/compiled.h"
#include "engine/evaluator/pricing.h"

namespace loyalty::evaluator::internal {
namespace {

using loyalty::v1::Purchase;
using loyalty::v1::PurchaseLine;

// A till receipt with more than a thousand lines is a client bug, not a
// basket (TIGER_STYLE: a limit on everything; engine/base/limits.h).
constexpr int kMaxLines = kMaxBasketLines;

bool IsCurrencyCode(absl::string_view code) {
  return code.size() == 3 && std::all_of(code.begin(), code.end(), [](char c) {
           return c >= 'A' && c <= 'Z';
         });
}

// "purchase.lines[3].quantity": built only when a line is refused, so a good
// basket costs no strings.
std::string LineField(int index, absl::string_view member) {
  return absl::StrCat("purchase.lines[", index, "]", member);
}

// The line's total, quantity * unit price, or why the line is refused.
absl::StatusOr<int64_t> LineTotal(const PurchaseLine& line, int index) {
  if (line.sku().empty()) {
    return InvalidArgument("MISSING_FIELD", LineField(index, ".sku"),
                           "a SKU is required");
  }
  if (line.quantity() <= 0) {
    return InvalidArgument(
        "INVALID_QUANTITY", LineField(index, ".quantity"),
        absl::StrCat("must be greater than 0, got ", line.quantity()));
  }
  if (line.unit_price_minor() <= 0) {
    return InvalidArgument(
        "INVALID_PRICE", LineField(index, ".unit_price_minor"),
        absl::StrCat("must be greater than 0, got ", line.unit_price_minor()));
  }
  std::optional<int64_t> total =
      CheckedMul(line.quantity(), line.unit_price_minor());
  if (!total.has_value()) {
    return InvalidArgument(
        "AMOUNT_OVERFLOW", LineField(index, ""),
        absl::StrCat("quantity ", line.quantity(), " times unit price ",
                     line.unit_price_minor(),
                     " does not fit in a 64-bit amount"));
  }
  return *total;
}

}  // namespace

absl::Status CheckPurchaseHeader(const Purchase& purchase,
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
                     "EUR, got ",
                     Quoted(purchase.currency())));
  }
  if (purchase.currency() != program_currency) {
    return InvalidArgument(
        "UNSUPPORTED_CURRENCY", "purchase.currency",
        absl::StrCat("this program prices in ", program_currency, ", got ",
                     purchase.currency()));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> CheckLines(const Purchase& purchase) {
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

absl::Status CheckPaymentRequest(const Purchase& purchase) {
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
  if (purchase.promo_codes_size() > kMaxPromoCodesPerPurchase) {
    return InvalidArgument(
        "TOO_MANY_PROMO_CODES", "purchase.promo_codes",
        absl::StrCat("at most ", kMaxPromoCodesPerPurchase,
                     " promo codes per purchase, got ",
                     purchase.promo_codes_size()));
  }
  // Each code normalized once, not once per pair.
  absl::InlinedVector<std::string, kMaxPromoCodesPerPurchase> codes;
  for (const std::string& code : purchase.promo_codes()) {
    codes.push_back(NormalizePromoCode(code));
  }
  for (int i = 0; i < purchase.promo_codes_size(); ++i) {
    for (int j = 0; j < i; ++j) {
      if (codes[i] == codes[j]) {
        return InvalidArgument(
            "DUPLICATE_PROMO_CODE", absl::StrCat("purchase.promo_codes[", i, "]"),
            absl::StrCat("the code ", Quoted(purchase.promo_codes(i)),
                         " is given twice"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace loyalty::evaluator::internal

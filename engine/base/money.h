// Money as people read and write it: "200.00 EUR", "1,500 JPY". Inside,
// amounts are integers in minor units (DESIGN.md); this is the one place
// that turns them into text and back, by the currency's decimal places.
#ifndef LOYALTY_ENGINE_BASE_MONEY_H_
#define LOYALTY_ENGINE_BASE_MONEY_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace loyalty {

// The decimal places of an ISO 4217 currency: 0 for JPY, KRW and the
// others without minor units, 3 for BHD, JOD, KWD, OMR, TND, IQD and LYD,
// 2 for every other code (EUR, USD, GBP, ...).
int MinorDigits(absl::string_view currency);

// "1234.50" for 123450 EUR minor units, "-0.05" for -5, "1500" for 1500 JPY.
std::string FormatMinor(int64_t amount_minor, absl::string_view currency);
// The same followed by the code: "1234.50 EUR".
std::string FormatMoney(int64_t amount_minor, absl::string_view currency);

// Reads an amount in currency units, as a rule file writes it: "200.00",
// "200.5", "200.00 EUR" or "200 EUR" (the code, when given, must be
// `currency`). A bare whole number ("200") is refused when the currency has
// minor units: it could mean 200.00 or 200 cents, and the message shows
// both spellings. 0 is accepted as it is. More decimals than the currency
// has, another code, or an amount beyond int64 minor units are refused.
// Errors are INVALID_ARGUMENT with a message that reads after "key: ".
absl::StatusOr<int64_t> ParseMoney(absl::string_view text,
                                   absl::string_view currency);

}  // namespace loyalty

#endif  // LOYALTY_ENGINE_BASE_MONEY_H_

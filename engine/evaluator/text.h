// Words for the cashier: amounts, points, percentages and weekdays written
// the way the applied rows and error messages show them. Display only; no
// arithmetic on money happens here.
#ifndef LOYALTY_ENGINE_EVALUATOR_TEXT_H_
#define LOYALTY_ENGINE_EVALUATOR_TEXT_H_

#include <cstdint>
#include <initializer_list>
#include <string>

#include "absl/strings/string_view.h"
#include "loyalty/v1/rules.pb.h"

namespace loyalty::evaluator::internal {

// "12.34 EUR"; negative amounts keep their sign. Two decimals, as for
// EUR/USD: the program currency is the only one priced.
std::string Money(int64_t minor, absl::string_view currency);

// "1 point", "12 points".
std::string Points(int64_t points);

// Basis points as a percentage: 250 -> "2.5%", 100 -> "1%", 5 -> "0.05%".
std::string BasisPointsPercent(int64_t basis_points);

// The same words appended to `out`. Pricing writes each applied row's
// explanation in place with these, so a row costs no temporary strings.
void AppendMoney(std::string* out, int64_t minor, absl::string_view currency);
void AppendPoints(std::string* out, int64_t points);
void AppendBasisPointsPercent(std::string* out, int64_t basis_points);

// "-42": the decimal digits of `value`.
void AppendInteger(std::string* out, int64_t value);

// Appends each text in turn. Used instead of absl::StrAppend on the pricing
// path: Debian's abseil cannot resize a string without zero-filling it, so
// StrAppend writes every byte twice and costs a call per piece.
void AppendText(std::string* out,
                std::initializer_list<absl::string_view> texts);

// "down" -> "rounded down", and so on.
absl::string_view RoundingWords(loyalty::v1::Rounding rounding);

// "Mon", "Tue", ... for 1..7 (ISO weekday numbers).
absl::string_view WeekdayShort(int weekday);

// A validity window in a few words, or "" when it has no weekdays or hours:
// "Sat–Sun", "Mon–Fri 7–10h", "Mon, Wed 18–2h".
std::string WindowWords(const loyalty::v1::Validity& validity);

}  // namespace loyalty::evaluator::internal

#endif  // LOYALTY_ENGINE_EVALUATOR_TEXT_H_

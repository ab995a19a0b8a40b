#include "engine/evaluator/text.h"

#include <cassert>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace loyalty::evaluator::internal {
namespace {

constexpr int64_t kMinorPerMajor = 100;
constexpr absl::string_view kWeekdayNames[] = {"Mon", "Tue", "Wed", "Thu",
                                               "Fri", "Sat", "Sun"};

// Runs of consecutive weekdays: {6,7} -> "Sat–Sun", {1,3} -> "Mon, Wed".
std::string WeekdayWords(const loyalty::v1::Validity& validity) {
  bool on[8] = {};
  for (int day : validity.weekdays()) {
    if (day >= 1 && day <= 7) on[day] = true;
  }
  std::vector<std::string> runs;
  for (int day = 1; day <= 7; ++day) {
    if (!on[day]) continue;
    int last = day;
    while (last < 7 && on[last + 1]) ++last;
    runs.push_back(last == day ? std::string(WeekdayShort(day))
                   : last == day + 1
                       ? absl::StrCat(WeekdayShort(day), ", ",
                                      WeekdayShort(last))
                       : absl::StrCat(WeekdayShort(day), "–",
                                      WeekdayShort(last)));
    day = last;
  }
  return absl::StrJoin(runs, ", ");
}

// Writes the decimal digits of `value` just before `end`; returns the first.
char* DigitsBefore(char* end, uint64_t value) {
  do {
    *--end = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0);
  return end;
}

// The magnitude of INT64_MIN does not fit in int64, so work unsigned.
uint64_t Magnitude(int64_t value) {
  return value < 0 ? 0 - static_cast<uint64_t>(value)
                   : static_cast<uint64_t>(value);
}

}  // namespace

std::string Money(int64_t minor, absl::string_view currency) {
  std::string text;
  WordBuffer words(&text);
  words.AddMoney(minor, currency);
  words.Flush();  // before `text` is returned, maybe as a copy
  return text;
}

std::string Points(int64_t points) {
  std::string text;
  WordBuffer words(&text);
  words.AddPoints(points);
  words.Flush();
  return text;
}

std::string BasisPointsPercent(int64_t basis_points) {
  std::string text;
  WordBuffer words(&text);
  words.AddBasisPointsPercent(basis_points);
  words.Flush();
  return text;
}

void WordBuffer::AddMoney(int64_t minor, absl::string_view currency) {
  // "-123.45 " is written backwards into a buffer (20 digits at most).
  char digits[32];
  char* const end = digits + sizeof(digits);
  char* begin = end;
  const uint64_t magnitude = Magnitude(minor);
  const uint64_t cents = magnitude % kMinorPerMajor;
  *--begin = ' ';
  *--begin = static_cast<char>('0' + cents % 10);
  *--begin = static_cast<char>('0' + cents / 10);
  *--begin = '.';
  begin = DigitsBefore(begin, magnitude / kMinorPerMajor);
  if (minor < 0) *--begin = '-';
  Add(absl::string_view(begin, static_cast<size_t>(end - begin)));
  Add(currency);
}

void WordBuffer::AddPoints(int64_t points) {
  AddInteger(points);
  Add(points == 1 ? " point" : " points");
}

void WordBuffer::AddBasisPointsPercent(int64_t basis_points) {
  assert(basis_points >= 0);  // rule checks allow 0 to 10000 only
  AddInteger(basis_points / 100);
  const int64_t hundredths = basis_points % 100;
  if (hundredths != 0) {
    // "2.5" for 250 but "0.05" for 5: one digit when the second is 0.
    const char decimals[] = {'.', static_cast<char>('0' + hundredths / 10),
                             static_cast<char>('0' + hundredths % 10)};
    Add(absl::string_view(decimals, hundredths % 10 == 0 ? 2 : 3));
  }
  Add("%");
}

void WordBuffer::AddInteger(int64_t value) {
  char digits[24];  // 20 digits and a sign at most
  char* const end = digits + sizeof(digits);
  char* begin = DigitsBefore(end, Magnitude(value));
  if (value < 0) *--begin = '-';
  Add(absl::string_view(begin, static_cast<size_t>(end - begin)));
}

void WordBuffer::AddMultiplier(int64_t percent) {
  constexpr int64_t kPercent = 100;
  if (percent % kPercent == 0) {
    AddInteger(percent / kPercent);
    Add(" × ");
  } else {
    AddInteger(percent);
    Add("% of ");
  }
}

absl::string_view RoundingWords(loyalty::v1::Rounding rounding) {
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

absl::string_view WeekdayShort(int weekday) {
  return weekday >= 1 && weekday <= 7 ? kWeekdayNames[weekday - 1] : "?";
}

std::string WindowWords(const loyalty::v1::Validity& validity) {
  std::string words = WeekdayWords(validity);
  if (validity.has_hours()) {
    absl::StrAppend(&words, words.empty() ? "" : " ",
                    validity.hours().from_hour(), "–",
                    validity.hours().to_hour(), "h");
  }
  return words;
}

}  // namespace loyalty::evaluator::internal

#include "engine/evaluator/text.h"

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
  AppendMoney(&text, minor, currency);
  return text;
}

std::string Points(int64_t points) {
  std::string text;
  AppendPoints(&text, points);
  return text;
}

std::string BasisPointsPercent(int64_t basis_points) {
  std::string text;
  AppendBasisPointsPercent(&text, basis_points);
  return text;
}

void AppendMoney(std::string* out, int64_t minor, absl::string_view currency) {
  // "-123.45 " is written backwards into a buffer (20 digits at most), then
  // appended in one piece.
  char buffer[32];
  char* const end = buffer + sizeof(buffer);
  char* begin = end;
  const uint64_t magnitude = Magnitude(minor);
  const uint64_t cents = magnitude % kMinorPerMajor;
  *--begin = ' ';
  *--begin = static_cast<char>('0' + cents % 10);
  *--begin = static_cast<char>('0' + cents / 10);
  *--begin = '.';
  begin = DigitsBefore(begin, magnitude / kMinorPerMajor);
  if (minor < 0) *--begin = '-';
  out->append(begin, static_cast<size_t>(end - begin));
  out->append(currency.data(), currency.size());
}

void AppendPoints(std::string* out, int64_t points) {
  AppendInteger(out, points);
  out->append(points == 1 ? " point" : " points");
}

void AppendBasisPointsPercent(std::string* out, int64_t basis_points) {
  AppendInteger(out, basis_points / 100);
  const int64_t hundredths = basis_points % 100;  // never negative: checked
  if (hundredths != 0) {
    // "2.5" for 250 but "0.05" for 5: one digit when the second is 0.
    out->push_back('.');
    out->push_back(static_cast<char>('0' + hundredths / 10));
    if (hundredths % 10 != 0) {
      out->push_back(static_cast<char>('0' + hundredths % 10));
    }
  }
  out->push_back('%');
}

void AppendInteger(std::string* out, int64_t value) {
  char buffer[24];  // 20 digits and a sign at most
  char* const end = buffer + sizeof(buffer);
  char* begin = DigitsBefore(end, Magnitude(value));
  if (value < 0) *--begin = '-';
  out->append(begin, static_cast<size_t>(end - begin));
}

void AppendText(std::string* out,
                std::initializer_list<absl::string_view> texts) {
  for (absl::string_view text : texts) out->append(text.data(), text.size());
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

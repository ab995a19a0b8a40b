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

}  // namespace

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

std::string BasisPointsPercent(int64_t basis_points) {
  std::string text = absl::StrCat(basis_points / 100);
  if (int64_t hundredths = basis_points % 100; hundredths != 0) {
    absl::StrAppend(&text, ".",
                    hundredths % 10 == 0
                        ? absl::StrCat(hundredths / 10)
                        : absl::StrCat(absl::Dec(hundredths, absl::kZeroPad2)));
  }
  return absl::StrCat(text, "%");
}

std::string RoundingWords(loyalty::v1::Rounding rounding) {
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

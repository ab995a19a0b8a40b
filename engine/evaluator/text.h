// Words for the cashier: amounts, points, percentages and weekdays written
// the way the applied rows and error messages show them. Display only; no
// arithmetic on money happens here.
#ifndef LOYALTY_ENGINE_EVALUATOR_TEXT_H_
#define LOYALTY_ENGINE_EVALUATOR_TEXT_H_

#include <cstdint>
#include <cstring>
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

// The words of one text (an applied row's explanation), gathered in a
// buffer on the stack and appended to `out` in large pieces: when the buffer
// is full, on Flush() and on destruction. Adding a piece is an inlined
// bounds check and copy, where std::string::append is a library call per
// piece (absl::StrAppend, on Debian's abseil, also zero-fills first); a
// priced purchase is written in ~300 pieces. Lives for one text, on one
// thread.
class WordBuffer {
 public:
  explicit WordBuffer(std::string* out) : out_(out) {}
  WordBuffer(const WordBuffer&) = delete;
  WordBuffer& operator=(const WordBuffer&) = delete;
  ~WordBuffer() { Flush(); }

  void Add(absl::string_view text) {
    if (text.empty()) return;  // memcpy must not see a null source
    if (text.size() > sizeof(buffer_) - size_) {
      Flush();
      if (text.size() > sizeof(buffer_)) {
        out_->append(text.data(), text.size());
        return;
      }
    }
    std::memcpy(buffer_ + size_, text.data(), text.size());
    size_ += text.size();
  }
  void Add(std::initializer_list<absl::string_view> texts) {
    for (absl::string_view text : texts) Add(text);
  }
  // The words of Money(), Points() and BasisPointsPercent() above.
  void AddMoney(int64_t minor, absl::string_view currency);
  void AddPoints(int64_t points);
  void AddBasisPointsPercent(int64_t basis_points);
  void AddInteger(int64_t value);  // "-42"
  // A multiplier in percent as a multiply_points rule says it: "2 × " for
  // 200, "150% of " for 150.
  void AddMultiplier(int64_t percent);

  void Flush() {
    out_->append(buffer_, size_);
    size_ = 0;
  }

 private:
  std::string* out_;
  size_t size_ = 0;
  char buffer_[256];  // an explanation rarely exceeds this
};

// "down" -> "rounded down", and so on.
absl::string_view RoundingWords(loyalty::v1::Rounding rounding);

// "Mon", "Tue", ... for 1..7 (ISO weekday numbers).
absl::string_view WeekdayShort(int weekday);

// A validity window in a few words, or "" when it has no weekdays or hours:
// "Sat–Sun", "Mon–Fri 7–10h", "Mon, Wed 18–2h".
std::string WindowWords(const loyalty::v1::Validity& validity);

}  // namespace loyalty::evaluator::internal

#endif  // LOYALTY_ENGINE_EVALUATOR_TEXT_H_

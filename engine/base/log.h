// loyaltyd's log: one line per event, at four levels (error, warn, info,
// debug), as plain text or as JSON lines, written to a file descriptor
// (stderr in loyaltyd).
//
//   plain: 2026-12-04T21:30:00.123Z INFO rules_loaded request_id=r-1 key_id=3fa9c2 version=9b1e...
//   json:  {"time":"2026-12-04T21:30:00.123Z","level":"info","event":"rules_loaded",...}
//
// A line holds the event's name and the fields its call site names one by
// one, each a string or an integer: there is no way to hand the logger a
// request or any other message whole, so a field that nobody chose (a
// member's name, e-mail or birthday) cannot reach the log. Values longer
// than kMaxLogValueBytes are cut, so a line has a bounded size.
//
// A Logger is safe for concurrent use: each line is formatted whole, then
// written with one write(2).
#ifndef LOYALTY_ENGINE_BASE_LOG_H_
#define LOYALTY_ENGINE_BASE_LOG_H_

#include <cstdint>
#include <string>
#include <type_traits>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace loyalty {

// Most severe first: a logger at kInfo writes error, warn and info lines.
enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };
enum class LogFormat { kPlain, kJson };

// "error", "warn", "info", "debug"; INVALID_ARGUMENT otherwise.
absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view text);
// "plain", "json"; INVALID_ARGUMENT otherwise.
absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view text);

// Longest value a line keeps of one field; longer ones end in "...".
inline constexpr size_t kMaxLogValueBytes = 200;

// One named value of a line: a string or an integer.
class LogField {
 public:
  LogField(absl::string_view key, absl::string_view value);
  LogField(absl::string_view key, const char* value)
      : LogField(key, absl::string_view(value)) {}
  template <typename Integer,
            std::enable_if_t<std::is_integral_v<Integer> &&
                                 !std::is_same_v<Integer, bool>,
                             int> = 0>
  LogField(absl::string_view key, Integer value)
      : key_(key), text_(std::to_string(value)), is_number_(true) {}

  const std::string& key() const { return key_; }
  const std::string& text() const { return text_; }
  bool is_number() const { return is_number_; }

 private:
  std::string key_;
  std::string text_;
  bool is_number_ = false;
};

struct LoggerOptions {
  LogLevel level = LogLevel::kInfo;
  LogFormat format = LogFormat::kPlain;
  int fd = 2;  // not owned; -1 writes nothing
};

class Logger {
 public:
  explicit Logger(LoggerOptions options) : options_(options) {}
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  // A logger that writes nothing (in-process servers of tests).
  static const Logger& Discard();

  bool Enabled(LogLevel level) const {
    return options_.fd >= 0 && level <= options_.level;
  }
  // Writes one line when `level` is enabled.
  void Log(LogLevel level, absl::string_view event,
           absl::Span<const LogField> fields) const;

  // The line Log writes, without its newline (exposed for tests).
  std::string Format(LogLevel level, absl::string_view event,
                     absl::Span<const LogField> fields) const;

 private:
  const LoggerOptions options_;
};

}  // namespace loyalty

#endif  // LOYALTY_ENGINE_BASE_LOG_H_

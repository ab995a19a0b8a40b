#include "engine/base/log.h"

#include <unistd.h>

#include <cerrno>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace loyalty {
namespace {

const char* LevelName(LogLevel level, LogFormat format) {
  static const char* const kPlain[] = {"ERROR", "WARN", "INFO", "DEBUG"};
  static const char* const kJson[] = {"error", "warn", "info", "debug"};
  const int index = static_cast<int>(level);
  return format == LogFormat::kPlain ? kPlain[index] : kJson[index];
}

// `text` cut to kMaxLogValueBytes (at a character boundary of UTF-8).
std::string Bounded(absl::string_view text) {
  if (text.size() <= kMaxLogValueBytes) return std::string(text);
  size_t end = kMaxLogValueBytes;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return absl::StrCat(text.substr(0, end), "...");
}

// A JSON string literal, quotes included; control characters escaped.
void AppendJsonString(absl::string_view text, std::string* out) {
  out->push_back('"');
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      absl::StrAppend(out, absl::StrFormat("\\u%04x", c));
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

// A plain value: bare when it is one word of printable characters, else
// quoted like a JSON string, so that a line always splits back into fields.
void AppendPlainValue(absl::string_view text, std::string* out) {
  bool bare = !text.empty();
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || c == '"' || c == '=' || c == '\\' || byte == 0x7F) {
      bare = false;
    }
  }
  if (bare) {
    out->append(text.data(), text.size());
  } else {
    AppendJsonString(text, out);
  }
}

std::string NowText() {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
}

}  // namespace

absl::StatusOr<LogLevel> ParseLogLevel(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  if (lower == "error") return LogLevel::kError;
  if (lower == "warn" || lower == "warning") return LogLevel::kWarn;
  if (lower == "info") return LogLevel::kInfo;
  if (lower == "debug") return LogLevel::kDebug;
  return absl::InvalidArgumentError(absl::StrCat(
      "log level must be error, warn, info or debug, not '", Bounded(text), "'"));
}

absl::StatusOr<LogFormat> ParseLogFormat(absl::string_view text) {
  if (text == "plain") return LogFormat::kPlain;
  if (text == "json") return LogFormat::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("log format must be plain or json, not '", Bounded(text), "'"));
}

LogField::LogField(absl::string_view key, absl::string_view value)
    : key_(key), text_(Bounded(value)) {}

const Logger& Logger::Discard() {
  static const auto* const kDiscard = new Logger(LoggerOptions{LogLevel::kError,
                                                               LogFormat::kPlain, -1});
  return *kDiscard;
}

std::string Logger::Format(LogLevel level, absl::string_view event,
                           absl::Span<const LogField> fields) const {
  std::string line;
  if (options_.format == LogFormat::kPlain) {
    absl::StrAppend(&line, NowText(), " ", LevelName(level, options_.format), " ");
    AppendPlainValue(event, &line);
    for (const LogField& field : fields) {
      absl::StrAppend(&line, " ", field.key(), "=");
      AppendPlainValue(field.text(), &line);
    }
    return line;
  }
  absl::StrAppend(&line, "{\"time\":\"", NowText(), "\",\"level\":\"",
                  LevelName(level, options_.format), "\",\"event\":");
  AppendJsonString(event, &line);
  for (const LogField& field : fields) {
    line.push_back(',');
    AppendJsonString(field.key(), &line);
    line.push_back(':');
    if (field.is_number()) {
      line.append(field.text());
    } else {
      AppendJsonString(field.text(), &line);
    }
  }
  line.push_back('}');
  return line;
}

void Logger::Log(LogLevel level, absl::string_view event,
                 absl::Span<const LogField> fields) const {
  if (!Enabled(level)) return;
  const std::string line = Format(level, event, fields) + "\n";
  // One write per line, so that lines of several threads never mix; a log
  // that cannot be written is dropped rather than stopping the server.
  ssize_t written = 0;
  do {
    written = write(options_.fd, line.data(), line.size());
  } while (written < 0 && errno == EINTR);
}

}  // namespace loyalty

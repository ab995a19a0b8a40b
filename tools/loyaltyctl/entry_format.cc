#include "entry_format.h"

#include <google/protobuf/util/json_util.h>

#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "output.h"

namespace loyaltyctl {
namespace {

using loyalty::v1::JournalEntry;

constexpr const char* kCsvColumns[] = {
    "sequence",    "record_time", "effective_time", "kind",
    "member_id",   "order_id",    "partner_id",     "store_id",
    "terminal_id", "request_id",  "rules_version",  "account",
    "asset",       "amount",      "description",    "previous_hash_hex",
    "hash_hex"};

// RFC 4180: a field with a comma, a quote or a line break goes in quotes,
// its quotes doubled.
std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted.push_back('"');
    quoted.push_back(c);
  }
  quoted.push_back('"');
  return quoted;
}

// An unset time is an empty field, not "-": the file is for programs.
std::string CsvTime(const google::protobuf::Timestamp& time) {
  const std::string text = FormatTime(time);
  return text == "-" ? "" : text;
}

void AppendCsvRow(const JournalEntry& entry,
                  const loyalty::v1::Posting* posting, std::string* out) {
  const std::vector<std::string> fields = {
      absl::StrCat(entry.sequence()),
      CsvTime(entry.record_time()),
      CsvTime(entry.effective_time()),
      KindName(entry.kind()),
      entry.member_id(),
      entry.order_id(),
      entry.partner_id(),
      entry.store_id(),
      entry.terminal_id(),
      entry.request_id(),
      entry.rules_version(),
      posting != nullptr ? posting->account() : "",
      posting != nullptr ? posting->asset() : "",
      posting != nullptr ? absl::StrCat(posting->amount()) : "",
      entry.description(),
      absl::BytesToHexString(entry.previous_hash()),
      absl::BytesToHexString(entry.hash())};
  std::vector<std::string> quoted;
  quoted.reserve(fields.size());
  for (const std::string& field : fields) quoted.push_back(CsvField(field));
  absl::StrAppend(out, absl::StrJoin(quoted, ","), "\n");
}

}  // namespace

std::string CsvHeader() {
  return absl::StrCat(absl::StrJoin(kCsvColumns, ","), "\n");
}

void AppendCsvRows(const JournalEntry& entry, std::string* out) {
  if (entry.postings().empty()) {
    AppendCsvRow(entry, nullptr, out);
    return;
  }
  for (const loyalty::v1::Posting& posting : entry.postings()) {
    AppendCsvRow(entry, &posting, out);
  }
}

absl::Status AppendJsonLine(const JournalEntry& entry, std::string* out) {
  // Default options: compact, JSON field names, default values left out;
  // JsonStringToMessage reads every one of them back to the same entry.
  std::string json;
  const auto status = google::protobuf::util::MessageToJsonString(entry, &json);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("entry ", entry.sequence(),
                     ": cannot write JSON: ", status.ToString()));
  }
  absl::StrAppend(out, json, "\n");
  return absl::OkStatus();
}

absl::StatusOr<JournalEntry> ParseJsonLine(const std::string& line) {
  JournalEntry entry;
  // Strict: a field this version does not know is an error, not something
  // to drop silently (dropping it would change the entry's hash anyway).
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status =
      google::protobuf::util::JsonStringToMessage(line, &entry, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "not a journal entry in JSON: ", status.message().ToString()));
  }
  return entry;
}

}  // namespace loyaltyctl

// Journal entries in export files: CSV rows for spreadsheets, and JSON lines
// that verify reads back into the very same entry (hashes included).
#ifndef LOYALTY_TOOLS_LOYALTYCTL_ENTRY_FORMAT_H_
#define LOYALTY_TOOLS_LOYALTYCTL_ENTRY_FORMAT_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "loyalty/v1/types.pb.h"

namespace loyaltyctl {

// The CSV header line, "sequence,record_time,...,hash_hex\n".
std::string CsvHeader();

// Appends the CSV rows of one entry to `out`: one row per posting, or one
// row with empty posting columns for an entry without postings. Fields are
// quoted as RFC 4180 says (when they hold a comma, a quote or a line break).
void AppendCsvRows(const loyalty::v1::JournalEntry& entry, std::string* out);

// Appends the entry as one line of JSON (protobuf's JSON mapping, bytes in
// base64) and a newline.
absl::Status AppendJsonLine(const loyalty::v1::JournalEntry& entry,
                            std::string* out);

// The entry a line written by AppendJsonLine holds (without its newline).
absl::StatusOr<loyalty::v1::JournalEntry> ParseJsonLine(
    const std::string& line);

}  // namespace loyaltyctl

#endif  // LOYALTY_TOOLS_LOYALTYCTL_ENTRY_FORMAT_H_

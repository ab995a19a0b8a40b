// The ledger's stored format: the value of the "c/format" key, which names
// the shapes of every record the ledger stores, and the steps that bring a
// ledger written by an older loyaltyd up to today's format when it opens.
//
// A change of a stored record's shape adds a format at the end of the list
// (format.cc) with one step from the format before it. A step rewrites what
// changed and must be safe to run again from the start if the process dies
// part-way: the format key moves on only after the step has returned, in a
// durable write of its own. A step never changes an entry that is already in
// the journal (its hash covers its bytes). Old ledgers are therefore never
// refused: they are brought up to date, one step after the other; only a
// format this build does not know (a newer loyaltyd's, or not a ledger's) is
// refused.
#ifndef LOYALTY_ENGINE_LEDGER_FORMAT_H_
#define LOYALTY_ENGINE_LEDGER_FORMAT_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "rocksdb/db.h"

namespace loyalty::ledger {

// The database key that holds the format's name.
inline constexpr char kFormatKey[] = "c/format";

// Brings a ledger from format `from` to format `to`.
struct FormatStep {
  std::string from;
  std::string to;
  // Rewrites the records whose shape changed. `progress` takes a short line
  // for the log (a long step says how far it is now and then).
  std::function<absl::Status(
      rocksdb::DB& db, const std::function<void(absl::string_view)>& progress)>
      migrate;
};

// Today's format and the steps from each older one, oldest first: steps[i]
// goes from steps[i].from to steps[i].to, and the last step's `to` is
// `current`.
struct FormatHistory {
  std::string current;
  std::vector<FormatStep> steps;
};

// The formats this build knows (format.cc).
const FormatHistory& LedgerFormats();

// Runs the steps from `stored` (the format key's value now) up to
// history.current, moving the format key after each; `progress` (may be
// empty) hears a line per step and the steps' own lines. FAILED_PRECONDITION
// when `stored` is a format `history` does not know.
absl::Status BringFormatUpToDate(
    rocksdb::DB& db, const FormatHistory& history, const std::string& stored,
    const std::function<void(absl::string_view)>& progress);

}  // namespace loyalty::ledger

#endif  // LOYALTY_ENGINE_LEDGER_FORMAT_H_

// The data directory holds members' names, e-mails and birthdays, so only the
// account loyaltyd runs as may read or change it. loyaltyd sets its umask to
// 077 at start, so that what it creates (the directory, RocksDB's files,
// ADMIN_KEY, backups) is 0700 / 0600; PrepareDataDir checks a directory that
// exists already, before the ledger opens it.
#ifndef LOYALTY_ENGINE_SERVER_DATA_DIR_H_
#define LOYALTY_ENGINE_SERVER_DATA_DIR_H_

#include <string>

#include "absl/status/statusor.h"

namespace loyalty::server {

// The umask loyaltyd runs with: nothing it creates is open to group or others.
inline constexpr unsigned kPrivateUmask = 077;

// Checks the data directory `path` before the ledger opens it:
// - missing: left for the ledger to create (0700 under kPrivateUmask);
// - writable by group or others: FAILED_PRECONDITION,
//   left as it is, since someone else may have changed the ledger already;
// - readable or searchable by group or others (0755, what a default umask
//   gives): tightened to 0700, which also closes the files made before
//   (0644) that are inside it; the returned notice says so.
// Returns an empty notice when nothing was changed. A path that is not a
// directory is left for the ledger to refuse.
absl::StatusOr<std::string> PrepareDataDir(const std::string& path);

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_DATA_DIR_H_

// backup create | restore: a backup of the live ledger made by the server
// (Audit.CreateBackup), and its restore into a new data directory, done
// offline with the ledger library and checked with a full audit.
#include <sys/stat.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "args.h"
#include "client.h"
#include "commands.h"
#include "engine/ledger/ledger.h"
#include "loyalty/v1/audit.grpc.pb.h"
#include "output.h"

namespace loyaltyctl {
namespace {

// The first backup copies every file of the database.
constexpr double kBackupDeadlineSeconds = 3600.0;

// "12.3 MiB (12897484 bytes)", or "9.9 KiB (10111 bytes)".
std::string FormatSize(int64_t bytes) {
  constexpr int64_t kMebibyte = int64_t{1} << 20;
  if (bytes < kMebibyte) {
    return absl::StrFormat("%.1f KiB (%d bytes)", bytes / 1024.0, bytes);
  }
  return absl::StrFormat("%.1f MiB (%d bytes)",
                         static_cast<double>(bytes) / kMebibyte, bytes);
}

int RunCreate(const Invocation& invocation) {
  loyalty::v1::CreateBackupRequest request;
  request.set_backup_dir(invocation.flags.Get("dir"));
  loyalty::v1::CreateBackupResponse response;
  grpc::ClientContext context;
  PrepareLongCall(invocation.global, kBackupDeadlineSeconds, &context);
  const grpc::Status status =
      loyalty::v1::Audit::NewStub(MakeChannel(invocation.global))
          ->CreateBackup(&context, request, &response);
  if (!status.ok()) return PrintRpcError(status, invocation.global.json);
  if (invocation.global.json) return PrintJson(response);
  PrintKeyValues({
      {"backup id", absl::StrCat(response.backup_id())},
      {"directory", request.backup_dir() + " (on the server's machine)"},
      {"holds entries up to", absl::StrCat(response.sequence())},
      {"size", FormatSize(response.size_bytes())},
  });
  return 0;
}

// The audit of a restored copy, shaped like the server's verify answer so
// that --json prints the same fields.
absl::StatusOr<loyalty::v1::VerifyLedgerResponse> RestoreAndAudit(
    const std::string& backup_dir, const std::string& data_dir) {
  if (absl::Status status =
          loyalty::ledger::Ledger::RestoreBackup(backup_dir, data_dir);
      !status.ok()) {
    return status;
  }
  loyalty::ledger::LedgerOptions options;
  options.data_dir = data_dir;
  // Nothing is written here, so nothing can fail to be made durable.
  options.on_fatal = [](const absl::Status&) {};
  absl::StatusOr<std::unique_ptr<loyalty::ledger::Ledger>> ledger =
      loyalty::ledger::Ledger::Open(std::move(options));
  if (!ledger.ok()) return ledger.status();
  const absl::StatusOr<loyalty::ledger::AuditReport> report =
      (*ledger)->Audit();
  if (!report.ok()) return report.status();
  const loyalty::v1::ChainHead head = (*ledger)->Head();
  loyalty::v1::VerifyLedgerResponse result;
  result.set_ok(report->ok());
  result.set_entries_checked(report->entries_checked);
  result.set_members_checked(report->members_checked);
  result.set_problem(report->problem);
  result.set_head_sequence(head.sequence());
  result.set_head_hash(head.hash());
  return result;
}

int RunRestore(const Invocation& invocation) {
  // The restored ledger holds members' personal data: what the restore
  // creates is its owner's only, as in the data dir loyaltyd keeps.
  ::umask(077);
  const std::string backup_dir = invocation.flags.Get("from");
  const std::string data_dir = invocation.flags.Get("data-dir");
  const absl::StatusOr<loyalty::v1::VerifyLedgerResponse> result =
      RestoreAndAudit(backup_dir, data_dir);
  if (!result.ok()) {
    return PrintStatusError(result.status(), invocation.global.json);
  }
  const int exit_status = result->ok() ? 0 : 1;
  if (invocation.global.json) {
    const int printed = PrintJson(*result);
    return printed != 0 ? printed : exit_status;
  }
  std::cout << "restored the newest backup of " << backup_dir << " into "
            << data_dir << "\n";
  if (result->ok()) {
    std::cout << "OK: the restored ledger verifies: hash chain intact, "
                 "postings balance, stored balances equal the replay\n\n";
  } else {
    std::cout << "BAD: " << result->problem() << "\n\n";
  }
  PrintKeyValues({
      {"entries checked", absl::StrCat(result->entries_checked())},
      {"members checked", absl::StrCat(result->members_checked())},
      {"head sequence", absl::StrCat(result->head_sequence())},
      {"head hash", absl::BytesToHexString(result->head_hash())},
  });
  return exit_status;
}

}  // namespace

std::vector<CommandSpec> BackupCommands() {
  return {
      {"backup",
       "create",
       "",
       "",
       "Back up the live ledger on the server (safe while it serves).",
       {{"dir", "DIR",
         "Backup directory on the server's machine: an absolute path, "
         "created (mode 0700) if missing; later backups into it are "
         "incremental. Default deadline: 3600 s.",
         "--dir /var/backups/loyalty", true}},
       "loyaltyctl backup create --dir /var/backups/loyalty",
       RunCreate},
      {"backup",
       "restore",
       "",
       "",
       "Restore a backup into a new data directory (offline) and audit it.",
       {{"from", "BACKUP_DIR",
         "Backup directory (made by 'backup create'), on this machine.",
         "--from /var/backups/loyalty", true},
        {"data-dir", "DIR",
         "Where to restore: a new or empty directory (created 0700 if "
         "missing). Not the directory of a running loyaltyd; start loyaltyd "
         "on it afterwards.",
         "--data-dir /var/lib/loyalty-restored", true}},
       "loyaltyctl backup restore --from /var/backups/loyalty --data-dir "
       "/var/lib/loyalty-restored",
       RunRestore},
  };
}

}  // namespace loyaltyctl

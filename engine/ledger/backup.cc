// Backups with RocksDB's BackupEngine: consistent copies of the live ledger.
//
// Codes: INVALID_ARGUMENT for a directory that can never work (empty,
// relative); FAILED_PRECONDITION for one that cannot work until someone
// changes the machine (not writable, a file in the way, a damaged backup);
// RESOURCE_EXHAUSTED for a full disk; UNAVAILABLE only for what a retry of
// the same call may fix.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "engine/base/error.h"
#include "engine/base/status_macros.h"
#include "engine/ledger/keys.h"
#include "engine/ledger/ledger.h"
#include "engine/ledger/rocksdb_options.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/utilities/backup_engine.h"

namespace loyalty::ledger {
namespace {

// Backups and restored ledgers hold members' personal data: owner only.
constexpr mode_t kPrivateDirectoryMode = 0700;

absl::Status Failed(absl::string_view what, const rocksdb::Status& status) {
  const std::string message = absl::StrCat(what, ": ", status.ToString());
  if (status.IsNoSpace()) return absl::ResourceExhaustedError(message);
  if (status.IsCorruption() || status.IsNotSupported() ||
      status.IsInvalidArgument() || status.IsPathNotFound()) {
    return absl::FailedPreconditionError(message);
  }
  return absl::UnavailableError(message);
}

absl::Status FromErrno(absl::string_view field, const std::string& path,
                       absl::string_view what, int error) {
  const std::string text =
      absl::StrCat("cannot ", what, " '", path, "': ", std::strerror(error));
  switch (error) {
    case ENOSPC:
    case EDQUOT:
      return MakeError(absl::StatusCode::kResourceExhausted, "DISK_FULL",
                       field, text);
    case EINTR:
    case EAGAIN:
    case EIO:
      return absl::UnavailableError(text);
    default:  // EACCES, EPERM, EROFS, ENOTDIR, EEXIST (a file), ENAMETOOLONG
      return FailedPrecondition("DIRECTORY_NOT_WRITABLE", field, text);
  }
}

absl::Status CheckAbsolute(absl::string_view field, const std::string& dir) {
  if (dir.empty()) {
    return InvalidArgument("MISSING_FIELD", field, "a directory is needed");
  }
  if (!std::filesystem::path(dir).is_absolute()) {
    return InvalidArgument(
        "RELATIVE_PATH", field,
        "give an absolute path (a relative one would be taken from the "
        "server's working directory)");
  }
  return absl::OkStatus();
}

// Creates `dir` and its missing parents, each with mode 0700, and checks
// that `dir` is a directory this process can write into.
absl::Status MakePrivateDirectory(absl::string_view field,
                                  const std::string& dir) {
  std::filesystem::path built;
  for (const std::filesystem::path& part : std::filesystem::path(dir)) {
    built /= part;
    if (::mkdir(built.c_str(), kPrivateDirectoryMode) != 0 && errno != EEXIST) {
      return FromErrno(field, built.string(), "create the directory", errno);
    }
  }
  struct stat info {};
  if (::stat(dir.c_str(), &info) != 0) {
    return FromErrno(field, dir, "read", errno);
  }
  if (!S_ISDIR(info.st_mode)) return FromErrno(field, dir, "use", ENOTDIR);
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return FromErrno(field, dir, "write into", errno);
  }
  return absl::OkStatus();
}

// The chain head of backup `id`, read from the backup itself (opened as a
// read-only database), so it is exactly the newest entry the backup holds.
absl::StatusOr<int64_t> BackedUpSequence(rocksdb::BackupEngine& engine,
                                         uint32_t id) {
  rocksdb::BackupInfo stored;
  rocksdb::Status described =
      engine.GetBackupInfo(id, &stored, /*include_file_details=*/true);
  if (!described.ok()) return Failed("describe the backup", described);
  rocksdb::Options options = DatabaseOptions();
  options.create_if_missing = false;
  options.env = stored.env_for_open.get();
  rocksdb::DB* raw = nullptr;
  rocksdb::Status opened =
      rocksdb::DB::OpenForReadOnly(options, stored.name_for_open, &raw);
  if (!opened.ok()) return Failed("open the backup to read it", opened);
  std::unique_ptr<rocksdb::DB> backup(raw);
  std::string head_bytes;
  rocksdb::Status read =
      backup->Get(VerifiedReadOptions(), keys::kChainHead, &head_bytes);
  if (!read.ok()) return Failed("read the backup's chain head", read);
  loyalty::v1::ChainHead head;
  if (!head.ParseFromString(head_bytes)) {
    return absl::DataLossError("the backup's chain head does not parse");
  }
  return head.sequence();
}

}  // namespace

absl::StatusOr<BackupInfo> Ledger::CreateBackup(
    const std::string& backup_dir) const {
  RETURN_IF_ERROR(CheckAbsolute("backup_dir", backup_dir));
  RETURN_IF_ERROR(MakePrivateDirectory("backup_dir", backup_dir));
  rocksdb::BackupEngine* raw = nullptr;
  rocksdb::IOStatus opened = rocksdb::BackupEngine::Open(
      rocksdb::Env::Default(), rocksdb::BackupEngineOptions(backup_dir), &raw);
  if (!opened.ok()) return Failed("open the backup directory", opened);
  std::unique_ptr<rocksdb::BackupEngine> engine(raw);
  rocksdb::CreateBackupOptions options;
  options.flush_before_backup = true;
  uint32_t id = 0;
  rocksdb::IOStatus created = engine->CreateNewBackup(options, db_.get(), &id);
  if (!created.ok()) return Failed("create the backup", created);
  rocksdb::BackupInfo stored;
  rocksdb::Status described = engine->GetBackupInfo(id, &stored);
  if (!described.ok()) return Failed("describe the backup", described);
  BackupInfo info;
  ASSIGN_OR_RETURN(info.sequence, BackedUpSequence(*engine, id));
  info.backup_id = id;
  info.size_bytes = static_cast<int64_t>(stored.size);
  return info;
}

absl::Status Ledger::RestoreBackup(const std::string& backup_dir,
                                   const std::string& data_dir) {
  std::error_code error;
  if (std::filesystem::exists(data_dir, error) &&
      !std::filesystem::is_empty(data_dir, error)) {
    return FailedPrecondition(
        "DIRECTORY_NOT_EMPTY", "data_dir",
        absl::StrCat("'", data_dir, "' is not empty: restore into a new directory"));
  }
  if (!std::filesystem::is_directory(backup_dir, error)) {
    return NotFound("NO_BACKUP", "backup_dir",
                    absl::StrCat("'", backup_dir, "' is not a directory"));
  }
  RETURN_IF_ERROR(MakePrivateDirectory(
      "data_dir", std::filesystem::absolute(data_dir, error).string()));
  rocksdb::BackupEngineReadOnly* raw = nullptr;
  rocksdb::IOStatus opened = rocksdb::BackupEngineReadOnly::Open(
      rocksdb::Env::Default(), rocksdb::BackupEngineOptions(backup_dir), &raw);
  std::unique_ptr<rocksdb::BackupEngineReadOnly> engine(raw);
  std::vector<rocksdb::BackupInfo> backups;
  if (opened.ok()) engine->GetBackupInfo(&backups);
  if (opened.IsNotFound() || (opened.ok() && backups.empty())) {
    return NotFound("NO_BACKUP", "backup_dir",
                    absl::StrCat("'", backup_dir,
                                 "' holds no backup (make one with "
                                 "loyaltyctl backup create)"));
  }
  if (!opened.ok()) return Failed("open the backup directory", opened);
  rocksdb::IOStatus restored =
      engine->RestoreDBFromLatestBackup(data_dir, data_dir);
  if (!restored.ok()) return Failed("restore", restored);
  return absl::OkStatus();
}

}  // namespace loyalty::ledger

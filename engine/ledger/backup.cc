// Backups with RocksDB's BackupEngine: consistent copies of the live ledger.
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "engine/ledger/ledger.h"
#include "rocksdb/env.h"
#include "rocksdb/utilities/backup_engine.h"

namespace loyalty::ledger {
namespace {

absl::Status Failed(absl::string_view what, const rocksdb::IOStatus& status) {
  return absl::UnavailableError(absl::StrCat(what, ": ", status.ToString()));
}

}  // namespace

absl::StatusOr<BackupInfo> Ledger::CreateBackup(
    const std::string& backup_dir) const {
  if (backup_dir.empty()) {
    return absl::InvalidArgumentError("backup_dir: a directory is needed");
  }
  rocksdb::BackupEngine* raw = nullptr;
  rocksdb::IOStatus opened = rocksdb::BackupEngine::Open(
      rocksdb::Env::Default(), rocksdb::BackupEngineOptions(backup_dir), &raw);
  if (!opened.ok()) return Failed("open the backup directory", opened);
  std::unique_ptr<rocksdb::BackupEngine> engine(raw);
  BackupInfo info;
  info.sequence = Head().sequence();  // everything up to here is in the DB
  rocksdb::CreateBackupOptions options;
  options.flush_before_backup = true;
  uint32_t id = 0;
  rocksdb::IOStatus created = engine->CreateNewBackup(options, db_.get(), &id);
  if (!created.ok()) return Failed("create the backup", created);
  rocksdb::BackupInfo stored;
  rocksdb::Status described = engine->GetBackupInfo(id, &stored);
  if (!described.ok()) {
    return absl::UnavailableError(described.ToString());
  }
  info.backup_id = id;
  info.size_bytes = static_cast<int64_t>(stored.size);
  return info;
}

absl::Status Ledger::RestoreBackup(const std::string& backup_dir,
                                   const std::string& data_dir) {
  std::error_code error;
  if (std::filesystem::exists(data_dir, error) &&
      !std::filesystem::is_empty(data_dir, error)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "'", data_dir, "' is not empty: restore into a new directory"));
  }
  const std::filesystem::path parent =
      std::filesystem::path(data_dir).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, error);
  rocksdb::BackupEngineReadOnly* raw = nullptr;
  rocksdb::IOStatus opened = rocksdb::BackupEngineReadOnly::Open(
      rocksdb::Env::Default(), rocksdb::BackupEngineOptions(backup_dir), &raw);
  if (!opened.ok()) return Failed("open the backup directory", opened);
  std::unique_ptr<rocksdb::BackupEngineReadOnly> engine(raw);
  rocksdb::IOStatus restored =
      engine->RestoreDBFromLatestBackup(data_dir, data_dir);
  if (!restored.ok()) return Failed("restore", restored);
  return absl::OkStatus();
}

}  // namespace loyalty::ledger

// Snapshot scans of the program-layer records (Ledger::NewAuxView).
#include <memory>
#include <string>

#include "engine/ledger/keys.h"
#include "engine/ledger/ledger.h"
#include "engine/ledger/rocksdb_options.h"
#include "rocksdb/db.h"

namespace loyalty::ledger {
namespace {

class SnapshotAuxCursor : public AuxCursor {
 public:
  SnapshotAuxCursor(rocksdb::DB* db, const rocksdb::ReadOptions& read,
                    absl::string_view prefix)
      : prefix_(keys::Aux(prefix)), iterator_(db->NewIterator(read)) {}

  void Seek(absl::string_view key) override { iterator_->Seek(keys::Aux(key)); }
  bool Valid() const override {
    return iterator_->Valid() && iterator_->key().starts_with(prefix_);
  }
  void Next() override { iterator_->Next(); }
  absl::string_view key() const override {
    const rocksdb::Slice key = iterator_->key();
    constexpr size_t kAuxPrefixSize = sizeof(keys::kAuxPrefix) - 1;
    return absl::string_view(key.data() + kAuxPrefixSize,
                             key.size() - kAuxPrefixSize);
  }
  absl::string_view value() const override {
    const rocksdb::Slice value = iterator_->value();
    return absl::string_view(value.data(), value.size());
  }
  absl::Status status() const override {
    const rocksdb::Status status = iterator_->status();
    if (status.ok()) return absl::OkStatus();
    if (status.IsCorruption()) return absl::DataLossError(status.ToString());
    return absl::UnavailableError(status.ToString());
  }

 private:
  const std::string prefix_;  // with the aux prefix
  std::unique_ptr<rocksdb::Iterator> iterator_;
};

class SnapshotAuxView : public AuxView {
 public:
  explicit SnapshotAuxView(rocksdb::DB* db) : db_(db), snapshot_(db) {
    read_ = VerifiedReadOptions();
    read_.snapshot = snapshot_.snapshot();
  }

  std::unique_ptr<AuxCursor> NewCursor(absl::string_view prefix) const override {
    return std::make_unique<SnapshotAuxCursor>(db_, read_, prefix);
  }

 private:
  rocksdb::DB* const db_;
  rocksdb::ManagedSnapshot snapshot_;
  rocksdb::ReadOptions read_;
};

}  // namespace

std::unique_ptr<AuxView> Ledger::NewAuxView() const {
  return std::make_unique<SnapshotAuxView>(db_.get());
}

}  // namespace loyalty::ledger

// Ledger reads that scan: snapshot entry readers, counters and program
// balances. None of them waits for the writer.
#include <memory>

#include "absl/strings/str_cat.h"
#include "engine/base/time_util.h"
#include "engine/ledger/keys.h"
#include "engine/ledger/ledger.h"
#include "engine/ledger/rocksdb_options.h"

namespace loyalty::ledger {
namespace {

using loyalty::v1::JournalEntry;

// Reads entries in sequence order from one snapshot: the whole journal, or
// only one member's entries through the member's history index.
class SnapshotEntryReader : public EntryReader {
 public:
  SnapshotEntryReader(rocksdb::DB* db, EntryFilter filter, int64_t head)
      : db_(db), snapshot_(db), filter_(std::move(filter)), head_(head) {
    read_ = VerifiedReadOptions();
    read_.snapshot = snapshot_.snapshot();
    iterator_.reset(db_->NewIterator(read_));
    by_member_ = !filter_.member_id.empty();
    prefix_ = by_member_ ? keys::HistoryPrefix(filter_.member_id)
                         : std::string(keys::kEntryPrefix);
    const int64_t first = filter_.after_sequence + 1;
    iterator_->Seek(filter_.after_sequence <= 0 ? prefix_
                    : by_member_ ? keys::History(filter_.member_id, first)
                                 : keys::Entry(first));
  }

  int64_t snapshot_sequence() const override { return head_; }

  absl::StatusOr<std::optional<std::string>> GetAux(
      absl::string_view key) const override {
    std::string value;
    const rocksdb::Status got = db_->Get(read_, keys::Aux(key), &value);
    if (got.IsNotFound()) return std::optional<std::string>();
    if (!got.ok()) return absl::UnavailableError(got.ToString());
    return std::optional<std::string>(std::move(value));
  }

  absl::StatusOr<loyalty::v1::MemberRecord> GetMember(
      absl::string_view member_id) const override {
    std::string value;
    const rocksdb::Status got =
        db_->Get(read_, keys::Member(member_id), &value);
    if (got.IsNotFound()) {
      return absl::NotFoundError(absl::StrCat("no member ", member_id));
    }
    if (!got.ok()) return absl::UnavailableError(got.ToString());
    loyalty::v1::MemberRecord record;
    if (!record.ParseFromString(value)) {
      return absl::DataLossError(
          absl::StrCat("member record of ", member_id, " does not parse"));
    }
    return record;
  }

  absl::StatusOr<std::vector<JournalEntry>> Next(int max_entries) override {
    std::vector<JournalEntry> entries;
    for (; iterator_->Valid() && iterator_->key().starts_with(prefix_) &&
           static_cast<int>(entries.size()) < max_entries;
         iterator_->Next()) {
      JournalEntry entry;
      absl::Status read = ReadCurrent(&entry);
      if (!read.ok()) return read;
      if (entry.sequence() > head_) break;  // never past the snapshot's head
      if (Matches(entry)) entries.push_back(std::move(entry));
    }
    if (!iterator_->status().ok()) {
      return absl::UnavailableError(iterator_->status().ToString());
    }
    return entries;
  }

 private:
  absl::Status ReadCurrent(JournalEntry* entry) {
    rocksdb::Slice value = iterator_->value();
    std::string indirect;
    if (by_member_) {
      auto sequence = keys::SequenceSuffix(
          absl::string_view(iterator_->key().data(), iterator_->key().size()));
      if (!sequence) return absl::DataLossError("a history key is malformed");
      rocksdb::Status got = db_->Get(read_, keys::Entry(*sequence), &indirect);
      if (!got.ok()) return absl::DataLossError(got.ToString());
      value = indirect;
    }
    if (!entry->ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      return absl::DataLossError("an entry does not parse");
    }
    return absl::OkStatus();
  }

  bool Matches(const JournalEntry& entry) const {
    const absl::Time recorded = FromTimestamp(entry.record_time());
    if (filter_.from_time && recorded < *filter_.from_time) return false;
    if (filter_.to_time && recorded >= *filter_.to_time) return false;
    return filter_.partner_id.empty() || entry.partner_id() == filter_.partner_id;
  }

  rocksdb::DB* db_;
  rocksdb::ManagedSnapshot snapshot_;
  EntryFilter filter_;
  int64_t head_;
  rocksdb::ReadOptions read_;
  std::unique_ptr<rocksdb::Iterator> iterator_;
  bool by_member_ = false;
  std::string prefix_;
};

}  // namespace

std::unique_ptr<EntryReader> Ledger::NewEntryReader(EntryFilter filter) const {
  // The head is read before the snapshot is taken, so every entry up to it
  // is in the snapshot; entries after it are skipped by the reader.
  return std::make_unique<SnapshotEntryReader>(db_.get(), std::move(filter),
                                               Head().sequence());
}

absl::StatusOr<std::map<std::string, std::vector<int64_t>>>
Ledger::ReadCounters(absl::string_view prefix) const {
  std::map<std::string, std::vector<int64_t>> counters;
  const std::string start = keys::Counter(prefix);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(VerifiedReadOptions()));
  for (it->Seek(start); it->Valid() && it->key().starts_with(start); it->Next()) {
    loyalty::v1::CounterSet counter;
    if (!counter.ParseFromArray(it->value().data(),
                                static_cast<int>(it->value().size()))) {
      return absl::DataLossError("a counter does not parse");
    }
    counters[it->key().ToString().substr(2)] = {counter.values().begin(),
                                                counter.values().end()};
  }
  if (!it->status().ok()) return absl::UnavailableError(it->status().ToString());
  return counters;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>>
Ledger::ReadAux(absl::string_view prefix) const {
  std::vector<std::pair<std::string, std::string>> records;
  const std::string start = keys::Aux(prefix);
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(VerifiedReadOptions()));
  for (it->Seek(start); it->Valid() && it->key().starts_with(start); it->Next()) {
    records.emplace_back(it->key().ToString().substr(2), it->value().ToString());
  }
  if (!it->status().ok()) return absl::UnavailableError(it->status().ToString());
  return records;
}

absl::StatusOr<std::map<AccountAsset, int64_t>> Ledger::ReadProgramBalances()
    const {
  std::map<AccountAsset, int64_t> balances;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(VerifiedReadOptions()));
  for (it->Seek(keys::kAccountPrefix);
       it->Valid() && it->key().starts_with(keys::kAccountPrefix); it->Next()) {
    loyalty::v1::AccountBalance balance;
    if (!balance.ParseFromArray(it->value().data(),
                                static_cast<int>(it->value().size()))) {
      return absl::DataLossError("an account balance does not parse");
    }
    balances[{balance.account(), balance.asset()}] = balance.amount();
  }
  if (!it->status().ok()) return absl::UnavailableError(it->status().ToString());
  return balances;
}

absl::StatusOr<std::vector<loyalty::v1::MemberRecord>> Ledger::ReadMembers(
    absl::string_view after_id, int limit) const {
  std::vector<loyalty::v1::MemberRecord> members;
  std::unique_ptr<rocksdb::Iterator> iterator(db_->NewIterator(VerifiedReadOptions()));
  const std::string prefix(keys::kMemberPrefix);
  const std::string start = keys::Member(after_id);
  for (iterator->Seek(after_id.empty() ? prefix : start);
       iterator->Valid() && iterator->key().starts_with(prefix) &&
       static_cast<int>(members.size()) < limit;
       iterator->Next()) {
    if (!after_id.empty() && iterator->key() == start) continue;
    loyalty::v1::MemberRecord record;
    if (!record.ParseFromArray(iterator->value().data(),
                               static_cast<int>(iterator->value().size()))) {
      return absl::DataLossError(absl::StrCat(
          "member record ", iterator->key().ToString(), " does not parse"));
    }
    members.push_back(std::move(record));
  }
  if (!iterator->status().ok()) {
    return absl::UnavailableError(iterator->status().ToString());
  }
  return members;
}

}  // namespace loyalty::ledger

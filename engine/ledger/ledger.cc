#include "engine/ledger/ledger.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "engine/base/error.h"
#include "engine/base/status_macros.h"
#include "engine/ledger/keys.h"
#include "engine/ledger/rocksdb_options.h"

namespace loyalty::ledger {
namespace {

using loyalty::v1::IdempotencyRecord;

// Written once when a ledger is created; its absence in a non-empty
// database means the directory holds something else.
constexpr char kFormatKey[] = "c/format";
constexpr char kFormatValue[] = "loyalty-ledger-1";
constexpr size_t kMaxRequestIdBytes = 128;

absl::Status FromRocks(const rocksdb::Status& status, absl::string_view what) {
  if (status.ok()) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(what, ": ", status.ToString()));
}

// Status codes that are part of an operation's answer (remembered under its
// request_id) rather than a passing fault of the server.
bool IsBusinessOutcome(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kOutOfRange:
      return true;
    default:
      return false;
  }
}

Outcome Replay(const IdempotencyRecord& record) {
  Outcome outcome;
  outcome.replayed = true;
  if (record.status_code() != 0) {
    outcome.status = RestoreError(
        static_cast<absl::StatusCode>(record.status_code()),
        record.status_message(), record.reason(), record.field());
  } else {
    outcome.response = record.response();
  }
  return outcome;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Ledger>> Ledger::Open(LedgerOptions options) {
  if (options.data_dir.empty()) {
    return InvalidArgument("MISSING_FIELD", "data_dir", "a data dir is needed");
  }
  std::unique_ptr<Ledger> ledger(new Ledger(std::move(options)));
  RETURN_IF_ERROR(ledger->Load());
  ledger->writer_ = std::thread([raw = ledger.get()] { raw->WriterLoop(); });
  return ledger;
}

absl::Status Ledger::Load() {
  rocksdb::DB* raw = nullptr;
  rocksdb::Options database = DatabaseOptions();
  if (options_.env != nullptr) database.env = options_.env;
  rocksdb::Status opened = rocksdb::DB::Open(database, options_.data_dir, &raw);
  if (!opened.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open the ledger in '", options_.data_dir,
                     "': ", opened.ToString()));
  }
  db_.reset(raw);
  std::string format;
  rocksdb::Status read = db_->Get(VerifiedReadOptions(), kFormatKey, &format);
  if (read.IsNotFound()) {
    std::unique_ptr<rocksdb::Iterator> any(db_->NewIterator({}));
    any->SeekToFirst();
    if (any->Valid()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "'", options_.data_dir, "' holds a database that is not a ledger"));
    }
    rocksdb::WriteBatch batch(0, 0, kProtectionBytesPerKey, 0);
    batch.Put(kFormatKey, kFormatValue);
    batch.Put(keys::kChainHead, loyalty::v1::ChainHead().SerializeAsString());
    return FromRocks(db_->Write(DurableWriteOptions(), &batch), "create ledger");
  }
  RETURN_IF_ERROR(FromRocks(read, "read the ledger format"));
  if (format != kFormatValue) {
    return absl::FailedPreconditionError(
        absl::StrCat("unknown ledger format '", format, "'"));
  }
  std::string head;
  RETURN_IF_ERROR(FromRocks(db_->Get(VerifiedReadOptions(), keys::kChainHead, &head),
                            "read the chain head"));
  if (!head_.ParseFromString(head)) {
    return absl::DataLossError("the chain head does not parse");
  }
  ASSIGN_OR_RETURN(program_balances_, ReadProgramBalances());
  ASSIGN_OR_RETURN(auto counters, ReadCounters(""));
  counters_.insert(counters.begin(), counters.end());
  absl::MutexLock lock(&mu_);
  published_head_ = head_;
  return absl::OkStatus();
}

Ledger::~Ledger() { Stop(); }

void Ledger::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (writer_.joinable()) writer_.join();
}

void Ledger::Submit(Operation operation, Done done) {
  {
    absl::MutexLock lock(&mu_);
    if (!failed_ && !stopping_ && queue_.size() < options_.max_queue) {
      queue_.emplace_back(std::move(operation), std::move(done));
      return;
    }
  }
  Outcome refused;
  refused.status = MakeError(absl::StatusCode::kUnavailable, "LEDGER_BUSY", "",
                             "the ledger is stopping, failed or full; retry");
  done(std::move(refused));
}

void Ledger::WriterLoop() {
  while (true) {
    std::vector<std::pair<Operation, Done>> work;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Ledger* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
            return !self->queue_.empty() || self->stopping_;
          },
          this));
      if (queue_.empty()) return;  // stopping, and nothing left to do
      const size_t take = std::min(queue_.size(), options_.max_batch);
      work.reserve(take);
      for (size_t i = 0; i < take; ++i) {
        work.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    ProcessBatch(work);
  }
}

Outcome Ledger::Process(Operation& operation, BatchState* batch) {
  Outcome outcome;
  if (operation.request_id.empty() ||
      operation.request_id.size() > kMaxRequestIdBytes) {
    outcome.status = InvalidArgument("INVALID_REQUEST_ID", "request_id",
                                     "give 1 to 128 bytes");
    return outcome;
  }
  IdempotencyRecord seen;
  bool found = false;
  if (auto it = batch->requests.find(operation.request_id);
      it != batch->requests.end()) {
    seen = it->second;
    found = true;
  } else {
    std::string value;
    rocksdb::Status read = db_->Get(VerifiedReadOptions(),
                                    keys::Request(operation.request_id), &value);
    if (!read.ok() && !read.IsNotFound()) {
      outcome.status = FromRocks(read, "read the request record");
      return outcome;
    }
    found = read.ok() && seen.ParseFromString(value);
  }
  if (found) {
    if (seen.fingerprint() == operation.fingerprint) return Replay(seen);
    outcome.status = MakeError(
        absl::StatusCode::kAlreadyExists, "REQUEST_ID_REUSED", "request_id",
        absl::StrCat("request id '", operation.request_id,
                     "' was used before for a different request"));
    return outcome;
  }
  Transaction transaction(batch, options_.clock->Now(), operation.request_id);
  absl::StatusOr<std::string> decided = operation.decide(transaction);
  IdempotencyRecord record;
  record.set_fingerprint(operation.fingerprint);
  if (decided.ok()) {
    transaction.CommitTo(batch);
    record.set_response(*decided);
    outcome.response = *std::move(decided);
  } else if (IsBusinessOutcome(decided.status().code())) {
    record.set_status_code(static_cast<int>(decided.status().code()));
    record.set_status_message(std::string(decided.status().message()));
    record.set_reason(ErrorReason(decided.status()));
    record.set_field(ErrorField(decided.status()));
    outcome.status = decided.status();
  } else {
    outcome.status = decided.status();  // a fault, not an answer: not kept
    return outcome;
  }
  batch->write_batch->Put(keys::Request(operation.request_id),
                          record.SerializeAsString());
  batch->requests[operation.request_id] = std::move(record);
  return outcome;
}

void Ledger::ProcessBatch(std::vector<std::pair<Operation, Done>>& work) {
  rocksdb::WriteBatch write_batch(0, 0, kProtectionBytesPerKey, 0);
  BatchState batch;
  batch.db = db_.get();
  batch.write_batch = &write_batch;
  batch.program_balances = &program_balances_;
  batch.counters = &counters_;
  batch.head = head_;
  std::vector<Outcome> outcomes;
  outcomes.reserve(work.size());
  for (auto& [operation, done] : work) {
    outcomes.push_back(Process(operation, &batch));
  }
  if (write_batch.Count() > 0) {
    for (const auto& [id, record] : batch.members) {
      write_batch.Put(keys::Member(id), record.SerializeAsString());
    }
    std::sort(batch.dirty_program_accounts.begin(),
              batch.dirty_program_accounts.end());
    batch.dirty_program_accounts.erase(
        std::unique(batch.dirty_program_accounts.begin(),
                    batch.dirty_program_accounts.end()),
        batch.dirty_program_accounts.end());
    for (const AccountAsset& key : batch.dirty_program_accounts) {
      loyalty::v1::AccountBalance balance;
      balance.set_account(key.first);
      balance.set_asset(key.second);
      balance.set_amount(program_balances_[key]);
      write_batch.Put(keys::Account(key.first, key.second),
                      balance.SerializeAsString());
    }
    std::sort(batch.dirty_counters.begin(), batch.dirty_counters.end());
    batch.dirty_counters.erase(std::unique(batch.dirty_counters.begin(),
                                           batch.dirty_counters.end()),
                               batch.dirty_counters.end());
    for (const std::string& key : batch.dirty_counters) {
      loyalty::v1::CounterSet counter;
      const std::vector<int64_t>& values = counters_[key];
      counter.mutable_values()->Add(values.begin(), values.end());
      write_batch.Put(keys::Counter(key), counter.SerializeAsString());
    }
    write_batch.Put(keys::kChainHead, batch.head.SerializeAsString());
    rocksdb::Status written = db_->Write(DurableWriteOptions(), &write_batch);
    if (!written.ok()) {
      FailAll(work, FromRocks(written, "durable write failed"));
      return;
    }
  }
  head_ = batch.head;
  {
    absl::MutexLock lock(&mu_);
    published_head_ = head_;
  }
  for (size_t i = 0; i < work.size(); ++i) {
    work[i].second(std::move(outcomes[i]));
  }
}

void Ledger::FailAll(std::vector<std::pair<Operation, Done>>& work,
                     const absl::Status& cause) {
  // The in-memory program balances now run ahead of the disk, so the writer
  // must not go on: fail this batch and everything queued, and report.
  std::deque<std::pair<Operation, Done>> queued;
  {
    absl::MutexLock lock(&mu_);
    failed_ = true;
    stopping_ = true;
    queued.swap(queue_);
  }
  const absl::Status unavailable =
      MakeError(absl::StatusCode::kUnavailable, "LEDGER_WRITE_FAILED", "",
                absl::StrCat("not recorded: ", cause.message()));
  for (auto& [operation, done] : work) done(Outcome{unavailable, "", false});
  for (auto& [operation, done] : queued) done(Outcome{unavailable, "", false});
  if (options_.on_fatal) options_.on_fatal(cause);
}

absl::StatusOr<loyalty::v1::MemberRecord> Ledger::GetMember(
    absl::string_view member_id) const {
  std::string value;
  rocksdb::Status read =
      db_->Get(VerifiedReadOptions(), keys::Member(member_id), &value);
  if (read.IsNotFound()) {
    return NotFound("UNKNOWN_MEMBER", "member_id",
                    absl::StrCat("no member with id '", member_id, "'"));
  }
  RETURN_IF_ERROR(FromRocks(read, "read member"));
  loyalty::v1::MemberRecord record;
  if (!record.ParseFromString(value)) {
    return absl::DataLossError("a member record does not parse");
  }
  return record;
}

absl::StatusOr<loyalty::v1::JournalEntry> Ledger::GetEntry(
    int64_t sequence) const {
  std::string value;
  rocksdb::Status read =
      db_->Get(VerifiedReadOptions(), keys::Entry(sequence), &value);
  if (read.IsNotFound()) {
    return NotFound("UNKNOWN_ENTRY", "sequence",
                    absl::StrCat("no entry ", sequence));
  }
  RETURN_IF_ERROR(FromRocks(read, "read entry"));
  loyalty::v1::JournalEntry entry;
  if (!entry.ParseFromString(value)) {
    return absl::DataLossError(absl::StrCat("entry ", sequence, " does not parse"));
  }
  return entry;
}

absl::StatusOr<std::vector<loyalty::v1::JournalEntry>>
Ledger::ListMemberEntries(absl::string_view member_id, int64_t after_sequence,
                          int limit) const {
  const std::string prefix = keys::HistoryPrefix(member_id);
  std::vector<loyalty::v1::JournalEntry> entries;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(VerifiedReadOptions()));
  for (it->Seek(keys::History(member_id, after_sequence + 1));
       it->Valid() && it->key().starts_with(prefix) &&
       static_cast<int>(entries.size()) < limit;
       it->Next()) {
    auto sequence = keys::SequenceSuffix(
        absl::string_view(it->key().data(), it->key().size()));
    if (!sequence) return absl::DataLossError("a history key is malformed");
    ASSIGN_OR_RETURN(auto entry, GetEntry(*sequence));
    entries.push_back(std::move(entry));
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "read history"));
  return entries;
}

loyalty::v1::ChainHead Ledger::Head() const {
  absl::MutexLock lock(&mu_);
  return published_head_;
}

}  // namespace loyalty::ledger

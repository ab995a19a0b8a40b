#include "engine/ledger/ledger.h"

#include <algorithm>
#include <iterator>

#include "absl/strings/str_cat.h"
#include "engine/base/error.h"
#include "engine/base/limits.h"
#include "engine/base/status_macros.h"
#include "engine/base/thread_name.h"
#include "engine/ledger/format.h"
#include "engine/ledger/keys.h"
#include "engine/ledger/rocksdb_options.h"

namespace loyalty::ledger {
namespace {

using loyalty::v1::IdempotencyRecord;

// Durable batches whose answers wait for the completer; a worker waits
// beyond it.
constexpr size_t kMaxBatchesToAnswer = 4;
// Member records the writer keeps parsed (a few hundred bytes to a few KiB
// each); when full, about a quarter is dropped.
constexpr size_t kMaxCachedMembers = 131072;

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

Outcome Refused(absl::Status status) {
  Outcome outcome;
  outcome.status = std::move(status);
  return outcome;
}

// DATA_LOSS (STORED_RECORD_UNREADABLE) for a kept answer that cannot be
// read back: the request is never decided again.
absl::Status UnreadableAnswer(absl::string_view request_id,
                              absl::string_view why) {
  return MakeError(absl::StatusCode::kDataLoss, "STORED_RECORD_UNREADABLE",
                   "request_id",
                   absl::StrCat("the answer kept for request id ",
                                Quoted(request_id), " ", why,
                                "; the request is not decided again (check the "
                                "ledger: loyaltyctl verify)"));
}

// The response kept in `record`: as it was stored, or rebuilt by the
// operation from what its decision kept and wrote (reads through `batch`).
absl::StatusOr<std::string> KeptResponse(const IdempotencyRecord& record,
                                         Operation& operation,
                                         BatchState* batch, absl::Time now) {
  if (!record.has_kept()) return record.response();
  if (!operation.rebuild) {
    return UnreadableAnswer(operation.request_id,
                            "cannot be rebuilt by this operation");
  }
  Transaction reads(batch, now, operation.request_id);
  absl::StatusOr<std::string> rebuilt = operation.rebuild(record.kept(), reads);
  if (rebuilt.ok()) return rebuilt;
  if (rebuilt.status().code() == absl::StatusCode::kUnavailable) return rebuilt;
  return UnreadableAnswer(operation.request_id, rebuilt.status().message());
}

// The first outcome of a request seen before, when `operation` is the same
// request; REQUEST_ID_REUSED otherwise.
Outcome ReplayOrReject(const IdempotencyRecord& record, Operation& operation,
                       BatchState* batch, absl::Time now) {
  if (record.fingerprint() != operation.fingerprint) {
    return Refused(MakeError(
        absl::StatusCode::kAlreadyExists, "REQUEST_ID_REUSED", "request_id",
        absl::StrCat("request id ", Quoted(operation.request_id),
                     " was used before for a different request")));
  }
  Outcome outcome;
  outcome.replayed = true;
  if (record.status_code() != 0) {
    outcome.status = RestoreError(
        static_cast<absl::StatusCode>(record.status_code()),
        record.status_message(), record.reason(), record.field());
    return outcome;
  }
  absl::StatusOr<std::string> response =
      KeptResponse(record, operation, batch, now);
  if (!response.ok()) return Refused(response.status());
  outcome.response = *std::move(response);
  return outcome;
}

// The answer to an operation the ledger cannot queue.
Outcome Busy() {
  Outcome refused;
  refused.status = MakeError(absl::StatusCode::kUnavailable, "LEDGER_BUSY", "",
                             "the ledger is stopping, failed or full; retry");
  return refused;
}

}  // namespace

// A batch from the moment the writer starts deciding it until it is written.
struct Ledger::StagedBatch {
  uint64_t number = 0;  // 1, 2, ... in the order of writing
  rocksdb::WriteBatch write_batch{0, 0, kProtectionBytesPerKey, 0};
  BatchState state;  // read by later decisions until RocksDB shows the batch
  Answers answers;
};

// Reads for the writer, newest first: batches handed on but maybe not
// written yet, then the member cache, then RocksDB.
class Ledger::Earlier : public EarlierState {
 public:
  explicit Earlier(Ledger* ledger) : ledger_(ledger) {}

  absl::StatusOr<loyalty::v1::MemberRecord> TakeMember(
      absl::string_view member_id) override {
    for (auto it = ledger_->unwritten_.rbegin();
         it != ledger_->unwritten_.rend(); ++it) {
      const auto& members = (*it)->state.members;
      if (auto found = members.find(member_id); found != members.end()) {
        return found->second;  // a copy: later decisions may read it too
      }
    }
    // Moved out of the cache rather than copied: the transaction stages it,
    // and it comes back to the cache once its batch is written. When the
    // transaction is dropped, the next read finds RocksDB up to date.
    auto& cache = ledger_->member_cache_;
    if (auto found = cache.find(member_id); found != cache.end()) {
      loyalty::v1::MemberRecord record = std::move(found->second);
      cache.erase(found);
      return record;
    }
    std::string value;
    rocksdb::Status read = ledger_->db_->Get(rocksdb::ReadOptions(),
                                             keys::Member(member_id), &value);
    if (read.IsNotFound()) return absl::NotFoundError("no such member");
    if (!read.ok()) return absl::UnavailableError(read.ToString());
    loyalty::v1::MemberRecord record;
    if (!record.ParseFromString(value)) {
      return absl::DataLossError(absl::StrCat(
          "member record of ", Quoted(member_id), " does not parse"));
    }
    return record;
  }

  absl::StatusOr<std::optional<std::string>> FindAux(
      absl::string_view key) override {
    for (auto it = ledger_->unwritten_.rbegin();
         it != ledger_->unwritten_.rend(); ++it) {
      const auto& aux = (*it)->state.aux;
      if (auto found = aux.find(key); found != aux.end()) return found->second;
    }
    std::string value;
    rocksdb::Status read =
        ledger_->db_->Get(rocksdb::ReadOptions(), keys::Aux(key), &value);
    if (read.IsNotFound()) return std::optional<std::string>();
    if (!read.ok()) return absl::UnavailableError(read.ToString());
    return std::optional<std::string>(std::move(value));
  }

 private:
  Ledger* ledger_;
};

absl::StatusOr<std::unique_ptr<Ledger>> Ledger::Open(LedgerOptions options) {
  if (options.data_dir.empty()) {
    return InvalidArgument("MISSING_FIELD", "data_dir", "a data dir is needed");
  }
  std::unique_ptr<Ledger> ledger(new Ledger(std::move(options)));
  RETURN_IF_ERROR(ledger->Load());
  Ledger* raw = ledger.get();
  ledger->earlier_ = std::make_unique<Earlier>(raw);
  ledger->completer_ = std::thread([raw] { raw->CompletionLoop(); });
  NameThread(ledger->completer_, "ledger-complete");
  for (size_t i = 0; i < std::size(ledger->workers_); ++i) {
    ledger->workers_[i] = std::thread([raw] { raw->WorkLoop(); });
    NameThread(ledger->workers_[i], absl::StrCat("ledger-worker-", i + 1));
  }
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
  // Written once when a ledger is created; its absence in a non-empty
  // database means the directory holds something else.
  const FormatHistory& formats =
      options_.formats != nullptr ? *options_.formats : LedgerFormats();
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
    batch.Put(kFormatKey, formats.current);
    batch.Put(keys::kChainHead, loyalty::v1::ChainHead().SerializeAsString());
    return FromRocks(db_->Write(DurableWriteOptions(), &batch), "create ledger");
  }
  RETURN_IF_ERROR(FromRocks(read, "read the ledger format"));
  RETURN_IF_ERROR(
      BringFormatUpToDate(*db_, formats, format, options_.on_progress));
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

Ledger::Ledger(LedgerOptions options) : options_(std::move(options)) {}

Ledger::~Ledger() { Stop(); }

void Ledger::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  // Each thread ends once the one before it has ended and its queue is empty.
  for (std::thread& worker : workers_) {
    if (worker.joinable()) worker.join();
  }
  if (completer_.joinable()) completer_.join();
}

void Ledger::Submit(Operation operation, Done done) {
  {
    absl::MutexLock lock(&mu_);
    if (!failed_ && !stopping_ && queue_.size() < options_.max_queue) {
      queue_.emplace_back(std::move(operation), std::move(done));
      return;
    }
  }
  done(Busy());
}

void Ledger::SubmitAll(std::vector<std::pair<Operation, Done>> operations) {
  {
    absl::MutexLock lock(&mu_);
    if (!failed_ && !stopping_ &&
        queue_.size() + operations.size() <= options_.max_queue) {
      for (auto& operation : operations) queue_.push_back(std::move(operation));
      return;
    }
  }
  for (auto& [operation, done] : operations) done(Busy());
}

void Ledger::MakeRoomInCache() {
  if (member_cache_.size() < kMaxCachedMembers) return;
  // Drop about a quarter, in hash order (as good as random): a hot member
  // comes back on its next sale.
  size_t drop = member_cache_.size() / 4;
  for (auto it = member_cache_.begin(); it != member_cache_.end() && drop > 0;
       --drop) {
    member_cache_.erase(it++);
  }
}

std::shared_ptr<Ledger::StagedBatch> Ledger::NewBatch(EarlierState* earlier) {
  std::shared_ptr<StagedBatch> batch;
  if (spare_ != nullptr) {
    // Reusing a batch keeps its WriteBatch buffers: allocating and freeing a
    // few hundred KiB per batch made malloc consolidate.
    batch = std::move(spare_);
    batch->write_batch.Clear();
    batch->state = BatchState();
    batch->answers = Answers();
  } else {
    batch = std::make_shared<StagedBatch>();
  }
  batch->number = ++sealed_batches_;
  batch->state.db = db_.get();
  batch->state.write_batch = &batch->write_batch;
  batch->state.earlier = earlier;
  batch->state.program_balances = &program_balances_;
  batch->state.counters = &counters_;
  batch->state.head = head_;
  return batch;
}

Ledger::WorkStep Ledger::NextStep(WorkStep done,
                                  std::vector<std::pair<Operation, Done>>* work,
                                  uint64_t* written) {
  absl::MutexLock lock(&mu_);
  // Given back in the same critical section that picks the next step, so
  // that this thread goes on with what it can do (at one caller: decide,
  // then write and answer) without waking the other.
  if (done == WorkStep::kDecide) deciding_ = false;
  if (done == WorkStep::kWrite) writing_ = false;
  // Wake to write the held batch when no write is in flight, to decide
  // queued operations while the batch has room, or to stop.
  mu_.Await(absl::Condition(
      +[](Ledger* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
        if (self->deciding_) return false;
        const bool room = self->held_operations_ < self->options_.max_batch;
        return (self->held_operations_ > 0 && !self->writing_) ||
               (room && !self->queue_.empty()) ||
               (self->held_operations_ == 0 && self->stopping_);
      },
      this));
  *written = written_batches_;
  if (held_operations_ > 0 && !writing_) {
    // Held until the batch is sealed (WriteAndAnswer gives it back).
    deciding_ = true;
    writing_ = true;
    held_operations_ = 0;
    return WorkStep::kWrite;
  }
  if (held_operations_ == 0 && queue_.empty()) return WorkStep::kStop;
  deciding_ = true;
  const size_t take =
      std::min(queue_.size(), options_.max_batch - held_operations_);
  work->reserve(take);
  for (size_t i = 0; i < take; ++i) {
    work->push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  held_operations_ += take;
  return WorkStep::kDecide;
}

void Ledger::WorkLoop() {
  WorkStep step = WorkStep::kStart;
  while (true) {
    std::vector<std::pair<Operation, Done>> work;
    uint64_t written = 0;
    step = NextStep(step, &work, &written);
    if (step == WorkStep::kStop) break;
    // This thread is the decider until it gives the role back.
    Prune(written);
    if (step == WorkStep::kDecide) {
      if (current_ == nullptr) current_ = NewBatch(earlier_.get());
      for (auto& [operation, done] : work) {
        current_->answers.outcomes.push_back(
            Process(operation, &current_->state));
        current_->answers.dones.push_back(std::move(done));
      }
      continue;
    }
    std::shared_ptr<StagedBatch> batch = std::move(current_);
    Seal(*batch);
    unwritten_.push_back(batch);
    WriteAndAnswer(*batch);
  }
  absl::MutexLock lock(&mu_);
  ++workers_done_;
}

Outcome Ledger::Process(Operation& operation, BatchState* batch) {
  if (operation.request_id.empty() ||
      operation.request_id.size() > kMaxRequestIdBytes) {
    return Refused(InvalidArgument(
        "INVALID_REQUEST_ID", "request_id",
        absl::StrCat("give 1 to ", kMaxRequestIdBytes, " bytes")));
  }
  absl::StatusOr<std::optional<IdempotencyRecord>> seen =
      FindRequest(operation.request_id, *batch);
  if (!seen.ok()) return Refused(seen.status());
  if (seen->has_value()) {
    return ReplayOrReject(**seen, operation, batch, options_.clock->Now());
  }
  if (absl::Now() > operation.deadline) {
    return Refused(absl::DeadlineExceededError(
        "the call's deadline passed before the ledger reached it; nothing was "
        "written, retry with the same request id"));
  }
  return DecideAndKeep(operation, batch);
}

absl::StatusOr<std::optional<IdempotencyRecord>> Ledger::FindRequest(
    const std::string& request_id, const BatchState& batch) {
  if (auto it = batch.requests.find(request_id); it != batch.requests.end()) {
    return it->second;
  }
  for (auto it = unwritten_.rbegin(); it != unwritten_.rend(); ++it) {
    const auto& requests = (*it)->state.requests;
    if (auto found = requests.find(request_id); found != requests.end()) {
      return found->second;
    }
  }
  std::string value;
  rocksdb::Status read =
      db_->Get(VerifiedReadOptions(), keys::Request(request_id), &value);
  if (read.IsNotFound()) return std::nullopt;
  RETURN_IF_ERROR(FromRocks(read, "read the request record"));
  // An answer that cannot be read was still given once: deciding the
  // request again could record it twice or answer it differently.
  IdempotencyRecord stored;
  if (!stored.ParseFromString(value)) {
    return UnreadableAnswer(request_id, "cannot be read");
  }
  return stored;
}

Outcome Ledger::DecideAndKeep(Operation& operation, BatchState* batch) {
  Transaction transaction(batch, options_.clock->Now(), operation.request_id);
  absl::StatusOr<Decision> decided = operation.decide(transaction);
  if (decided.ok() && !transaction.refusal().ok()) decided = transaction.refusal();
  Outcome outcome;
  IdempotencyRecord record;
  record.set_fingerprint(operation.fingerprint);
  if (decided.ok()) {
    transaction.CommitTo(batch);
    if (decided->kept.has_value()) {
      record.set_kept(*std::move(decided->kept));
    } else {
      record.set_response(decided->response);
    }
    outcome.response = std::move(decided->response);
  } else if (IsBusinessOutcome(decided.status().code())) {
    record.set_status_code(static_cast<int>(decided.status().code()));
    record.set_status_message(std::string(decided.status().message()));
    record.set_reason(ErrorReason(decided.status()));
    record.set_field(ErrorField(decided.status()));
    outcome.status = decided.status();
  } else {
    return Refused(decided.status());  // a fault, not an answer: not kept
  }
  batch->write_batch->Put(keys::Request(operation.request_id),
                          record.SerializeAsString());
  batch->requests[operation.request_id] = std::move(record);
  return outcome;
}

void Ledger::Seal(StagedBatch& staged) {
  BatchState& batch = staged.state;
  rocksdb::WriteBatch& write_batch = staged.write_batch;
  head_ = batch.head;
  if (write_batch.Count() == 0) return;  // replays and refusals only
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
}

void Ledger::WriteAndAnswer(StagedBatch& staged) {
  bool failed_before = false;
  {
    absl::MutexLock lock(&mu_);
    deciding_ = false;  // sealed: the other worker may decide the next batch
    failed_before = failed_;
  }
  absl::Status cause;
  if (!failed_before && staged.write_batch.Count() > 0) {
    const absl::Time start = absl::Now();
    cause = FromRocks(db_->Write(DurableWriteOptions(), &staged.write_batch),
                      "durable write failed");
    instruments_.sync_latency_us.Record(
        absl::ToInt64Microseconds(absl::Now() - start));
    instruments_.batch_bytes.Record(
        static_cast<int64_t>(staged.write_batch.GetDataSize()));
    instruments_.batch_operations.Record(
        static_cast<int64_t>(staged.answers.outcomes.size()));
  }
  Answers answers = std::move(staged.answers);
  std::deque<std::pair<Operation, Done>> queued;
  bool answer_here = false;
  // Read under the lock: once ++written_batches_ the decider may reuse
  // `staged`.
  int64_t durable_sequence = 0;
  {
    absl::MutexLock lock(&mu_);
    if (!cause.ok()) {
      // The writer's state now runs ahead of the disk: it must not go on.
      failed_ = true;
      stopping_ = true;
      queued.swap(queue_);
    }
    if (failed_) {
      AnswerUnavailable(std::move(answers), std::move(queued), cause);
    } else {
      published_head_ = staged.state.head;
      durable_sequence = published_head_.sequence();
      // With no answer pending, waking the completer would only add a
      // thread hand-off to every answer.
      answer_here = to_answer_.empty() && !answering_;
      if (!answer_here) Answer(std::move(answers));
    }
    ++written_batches_;
  }
  if (cause.ok() && !failed_before && options_.on_durable) {
    options_.on_durable(durable_sequence);
  }
  if (answer_here) {
    // Every earlier answer has been given, and no batch is written before
    // this worker leaves the write (NextStep): these go out in order.
    for (size_t i = 0; i < answers.dones.size(); ++i) {
      answers.dones[i](std::move(answers.outcomes[i]));
    }
  }
  if (!cause.ok() && options_.on_fatal) options_.on_fatal(cause);
}

void Ledger::AnswerUnavailable(Answers answers,
                               std::deque<std::pair<Operation, Done>> queued,
                               const absl::Status& cause) {
  const absl::Status unavailable = MakeError(
      absl::StatusCode::kUnavailable, "LEDGER_WRITE_FAILED", "",
      absl::StrCat("not recorded: ",
                   cause.ok() ? "an earlier write could not be made durable"
                              : cause.message()));
  for (Outcome& outcome : answers.outcomes) {
    outcome = Outcome{unavailable, "", false};
  }
  Answers refused;
  for (auto& [operation, done] : queued) {
    refused.dones.push_back(std::move(done));
    refused.outcomes.push_back(Outcome{unavailable, "", false});
  }
  Answer(std::move(answers));
  if (!refused.dones.empty()) Answer(std::move(refused));
}

void Ledger::Answer(Answers answers) {
  mu_.Await(absl::Condition(
      +[](Ledger* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
        return self->to_answer_.size() < kMaxBatchesToAnswer;
      },
      this));
  to_answer_.push_back(std::move(answers));
}

void Ledger::CompletionLoop() {
  while (true) {
    Answers answers;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](Ledger* self) ABSL_EXCLUSIVE_LOCKS_REQUIRED(self->mu_) {
            return !self->to_answer_.empty() ||
                   self->workers_done_ == std::size(self->workers_);
          },
          this));
      if (to_answer_.empty()) return;
      answers = std::move(to_answer_.front());
      to_answer_.pop_front();
      answering_ = true;
    }
    for (size_t i = 0; i < answers.dones.size(); ++i) {
      answers.dones[i](std::move(answers.outcomes[i]));
    }
    absl::MutexLock lock(&mu_);
    answering_ = false;
  }
}

void Ledger::Prune(uint64_t written_batches) {
  while (!unwritten_.empty() && unwritten_.front()->number <= written_batches) {
    for (auto& [id, record] : unwritten_.front()->state.members) {
      MakeRoomInCache();
      member_cache_[id] = std::move(record);
    }
    // Kept for reuse once the worker that wrote it has let go of it.
    if (unwritten_.front().use_count() == 1) spare_ = std::move(unwritten_.front());
    unwritten_.pop_front();
  }
}
absl::StatusOr<loyalty::v1::MemberRecord> Ledger::GetMember(
    absl::string_view member_id) const {
  std::string value;
  rocksdb::Status read =
      db_->Get(VerifiedReadOptions(), keys::Member(member_id), &value);
  if (read.IsNotFound()) {
    return NotFound("UNKNOWN_MEMBER", "member_id",
                    absl::StrCat("no member with id ", Quoted(member_id)));
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

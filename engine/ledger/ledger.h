// The ledger: an append-only, double-entry journal over RocksDB, with member
// balances, point lots, idempotency records and a hash chain. It knows
// nothing of rules or gRPC: the program layer hands it operations whose
// decision runs on one thread at a time (the decider).
//
// Writes (group commit, pipelined): Submit() queues an operation and returns
// at once. Two workers and a completer carry it on:
// - deciding: the worker that takes the decider's role takes queued
//   operations (up to max_batch per batch), decides each in order against
//   the state left by the ones before it, and stages every change into one
//   WriteBatch. Decisions read what earlier batches staged even before
//   RocksDB shows it (EarlierState), so the hash chain and balances are
//   exact. "The writer" below and in the rest of the engine is whichever
//   worker decides; one at a time, each handing the role on under the lock.
// - writing: when no batch is being written, a worker seals the decided
//   batch (member records, program balances and the chain head, once per
//   batch), gives the decider's role back, and writes the batch with
//   sync=true (WAL fsync). While it writes, the other worker decides the
//   next batch, so at most one batch is being written and one decided, and
//   batches are written in order.
// - answering: once a batch is durable, the worker that wrote it announces
//   the new head (LedgerOptions::on_durable: event streams wait on it, and
//   never read past it) and calls each operation's `done`, in order, itself
//   when no answer is pending, else through the completer thread. No batch
//   is written before the one before it has been answered or handed to the
//   completer.
//   At one caller, one worker thus decides, writes and answers each sale
//   without waking another thread; under load the two overlap as a writer
//   and a syncer would.
// A failed write is fatal: every operation of that batch and of every later
// one (decided, queued or submitted after) gets UNAVAILABLE, nothing after
// it is written, and on_fatal is called once so that the process can stop
// and recover.
//
// Idempotency: an operation with a request_id that the ledger has seen gets
// the first outcome again (a success or a business refusal) if its
// fingerprint matches, and ALREADY_EXISTS (REQUEST_ID_REUSED) otherwise.
// A success is kept whole, or, for an operation that says how to rebuild it
// (Decision::kept, Operation::rebuild: a sale's priced purchase is in its
// order record), as the part that no record of its decision holds.
// A kept outcome that cannot be read is DATA_LOSS (STORED_RECORD_UNREADABLE):
// the request is never decided again, since that could record it twice or
// answer it differently. DATA_LOSS from a decision is a fault, not an
// answer: it is not kept.
//
// Reads go straight to RocksDB and never wait for the writer.
// A Ledger is safe for concurrent use by any number of threads.
#ifndef LOYALTY_ENGINE_LEDGER_LEDGER_H_
#define LOYALTY_ENGINE_LEDGER_LEDGER_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "engine/base/clock.h"
#include "engine/ledger/format.h"
#include "engine/ledger/ledger_stats.h"
#include "engine/ledger/transaction.h"
#include "loyalty/v1/storage.pb.h"
#include "loyalty/v1/types.pb.h"
#include "rocksdb/db.h"

namespace loyalty::ledger {

struct LedgerOptions {
  std::string data_dir;
  Clock* clock = &SystemClock();  // not owned; must outlive the ledger
  size_t max_queue = 16384;  // queued operations; beyond it Submit refuses
  size_t max_batch = 1024;   // operations per WriteBatch
  // Called once, on the worker that wrote, when a write could not be made
  // durable.
  std::function<void(const absl::Status&)> on_fatal;
  // Called on the worker that wrote each time a batch is durable, with the
  // new
  // head's sequence (every entry up to it can be read), in order, outside
  // the ledger's lock; the next batch is written only once it returns, so
  // it must be quick and must not block (e.g. wake a waiting reader).
  std::function<void(int64_t durable_sequence)> on_durable;
  // The file system RocksDB uses; nullptr is the real one. Tests pass a
  // wrapper that injects I/O errors. Not owned; must outlive the ledger.
  rocksdb::Env* env = nullptr;
  // The formats the ledger can be brought up from when it opens (format.h);
  // nullptr: this build's (LedgerFormats()). Not owned.
  const FormatHistory* formats = nullptr;
  // Told, one short line at a time, what a long step of opening does (an
  // older ledger brought up to today's format); may be empty.
  std::function<void(absl::string_view)> on_progress;
};

// What a decision answers: the serialized response, and what of it to keep
// under the request id. Without `kept` the whole response is kept. With it,
// `kept` is kept instead (the response less what records the decision wrote
// hold already, so that a sale's WAL bytes do not repeat them), and a replay
// asks the operation's Rebuild for the response.
struct Decision {
  Decision(std::string whole)  // NOLINT: implicit, the whole is kept
      : response(std::move(whole)) {}
  Decision(std::string whole, std::string part)
      : response(std::move(whole)), kept(std::move(part)) {}
  std::string response;
  std::optional<std::string> kept;
};

// The decision of one operation: runs on the decider (a ledger worker), stages
// its changes through the Transaction, and returns the response to send back
// (serialized) and what to keep of it. An error drops everything staged.
using Decide = absl::AnyInvocable<absl::StatusOr<Decision>(Transaction&)>;

// Rebuilds a response from what a Decision kept and from the records its
// decision wrote, read through the Transaction (which is never committed).
// Runs on the decider when a request seen before is sent again.
using Rebuild = absl::AnyInvocable<absl::StatusOr<std::string>(
    absl::string_view kept, Transaction&)>;

struct Operation {
  std::string request_id;   // required, 1..128 bytes
  std::string fingerprint;  // digest of the request without its request_id
  Decide decide;
  // The caller's deadline (real time, absl::Now()): an operation still queued
  // when it passes is not decided and gets DEADLINE_EXCEEDED, which is not
  // kept under its request id, so a retry is decided afresh.
  absl::Time deadline = absl::InfiniteFuture();
  // Needed when `decide` returns a Decision with `kept`; unset otherwise.
  Rebuild rebuild = nullptr;
};

struct Outcome {
  absl::Status status;   // OK, or the refusal
  std::string response;  // serialized response when status is OK
  bool replayed = false;  // true when answered from the idempotency record
};

using Done = absl::AnyInvocable<void(Outcome)>;

// Result of an audit of the whole journal (see Audit()).
struct AuditReport {
  int64_t entries_checked = 0;
  int64_t members_checked = 0;
  // First problem found, naming the entry or account; empty when clean.
  std::string problem;
  bool ok() const { return problem.empty(); }
};

// Which entries an EntryReader returns.
struct EntryFilter {
  std::optional<absl::Time> from_time;  // record_time >= from_time
  std::optional<absl::Time> to_time;    // record_time < to_time
  std::string member_id;   // only entries that touch this member
  std::string partner_id;  // only entries of this partner
  int64_t after_sequence = 0;  // only entries with a greater sequence
};

// Reads journal entries, oldest first, from the snapshot taken when it was
// made: entries committed later are never seen. Holds the snapshot until it
// is destroyed; must not outlive its Ledger. Not thread-safe.
class EntryReader {
 public:
  virtual ~EntryReader() = default;
  // Up to `max_entries` more entries that match the filter; empty when done.
  virtual absl::StatusOr<std::vector<loyalty::v1::JournalEntry>> Next(
      int max_entries) = 0;
  // The newest sequence in the snapshot.
  virtual int64_t snapshot_sequence() const = 0;
  // From the same snapshot: a program-layer record (Transaction::PutAux),
  // nullopt when there is none, and a member record (NOT_FOUND when none).
  virtual absl::StatusOr<std::optional<std::string>> GetAux(
      absl::string_view key) const = 0;
  virtual absl::StatusOr<loyalty::v1::MemberRecord> GetMember(
      absl::string_view member_id) const = 0;
};

// Program-layer records (Transaction::PutAux) whose keys start with one
// prefix, in key order, from the snapshot of the AuxView that made it.
// Not thread-safe; must not outlive its AuxView.
class AuxCursor {
 public:
  virtual ~AuxCursor() = default;
  // Moves to the first record whose key is >= `key` (a full aux key, which
  // should start with the cursor's prefix).
  virtual void Seek(absl::string_view key) = 0;
  virtual bool Valid() const = 0;
  virtual void Next() = 0;
  // The record under the cursor; valid until the cursor moves.
  virtual absl::string_view key() const = 0;  // as given to PutAux
  virtual absl::string_view value() const = 0;
  // Not OK once a read failed (Valid() is then false).
  virtual absl::Status status() const = 0;
};

// One snapshot of the program-layer records, taken when it is made, for
// scans too long to hold in memory (e.g. a year of per-member records).
// Holds the snapshot until destroyed; must not outlive its Ledger.
class AuxView {
 public:
  virtual ~AuxView() = default;
  // A cursor over the records whose keys start with `prefix`, not yet
  // positioned (call Seek). Many cursors may be open on one view.
  virtual std::unique_ptr<AuxCursor> NewCursor(absl::string_view prefix) const = 0;
};

struct BackupInfo {
  int64_t backup_id = 0;
  int64_t sequence = 0;
  int64_t size_bytes = 0;
};

class Ledger {
 public:
  // Opens (or creates) the ledger in options.data_dir and starts its threads.
  // A directory that is not a ledger, or is corrupt, gives an error that
  // says so.
  static absl::StatusOr<std::unique_ptr<Ledger>> Open(LedgerOptions options);

  Ledger(const Ledger&) = delete;
  Ledger& operator=(const Ledger&) = delete;
  // Finishes every queued operation, then closes the database.
  ~Ledger();

  // Queues an operation; `done` runs on the completer thread (or the worker
  // that wrote its batch, when no answer is pending) after the batch is
  // durable, or at once on the caller's thread, with UNAVAILABLE, when the
  // queue is full or the ledger has stopped. `done` must not block.
  void Submit(Operation operation, Done done);
  // Queues several operations at once, next to each other and in this
  // order, so that the writer takes them into as few batches as it can (a
  // batch RPC's purchases share one fsync). All are queued, or none: when
  // the queue has no room for all of them, every `done` runs at once with
  // UNAVAILABLE, as for Submit.
  void SubmitAll(std::vector<std::pair<Operation, Done>> operations);

  // Stops taking operations, finishes the queued ones (every `done` has run
  // when it returns) and joins the threads.
  void Stop();

  // Reads; none waits for the writer.
  absl::StatusOr<loyalty::v1::MemberRecord> GetMember(
      absl::string_view member_id) const;
  // Up to `limit` of the member's entries with sequence > after_sequence,
  // oldest first.
  absl::StatusOr<std::vector<loyalty::v1::JournalEntry>> ListMemberEntries(
      absl::string_view member_id, int64_t after_sequence, int limit) const;
  absl::StatusOr<loyalty::v1::JournalEntry> GetEntry(int64_t sequence) const;
  loyalty::v1::ChainHead Head() const;
  // The write path's figures (queue, batches, syncs) and RocksDB's (write
  // stalls, compactions), for metrics; cheap enough for every scrape.
  LedgerStats Stats() const;

  // Reads the whole ledger from one snapshot and checks every invariant:
  // sequences without gaps, the hash chain, postings summing to zero per
  // asset, no member balance below zero, and every stored balance (member
  // records with their lots, program accounts) equal to the replay of the
  // journal. O(entries + members).
  absl::StatusOr<AuditReport> Audit() const;

  // A reader of entries from one snapshot taken now (see EntryReader).
  std::unique_ptr<EntryReader> NewEntryReader(EntryFilter filter) const;

  // Every counter whose key starts with `prefix`, as last written.
  absl::StatusOr<std::map<std::string, std::vector<int64_t>>> ReadCounters(
      absl::string_view prefix) const;
  // Every program-layer record (see Transaction::PutAux) whose key starts
  // with `prefix`, as (key, value) pairs in key order.
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ReadAux(
      absl::string_view prefix) const;
  // A view of the program-layer records from one snapshot taken now, as
  // written (see AuxView).
  std::unique_ptr<AuxView> NewAuxView() const;
  // Up to `limit` member records with ids after `after_id` (all from "")
  // in id order, as last written: a page of a scan over every member that
  // holds no snapshot between pages.
  absl::StatusOr<std::vector<loyalty::v1::MemberRecord>> ReadMembers(
      absl::string_view after_id, int limit) const;
  // Every program-level account balance, as last written.
  absl::StatusOr<std::map<AccountAsset, int64_t>> ReadProgramBalances() const;

  // Backs up the live database into `backup_dir` with RocksDB's
  // BackupEngine (incremental after the first). Safe while operations are
  // served. `backup_dir` must be absolute (INVALID_ARGUMENT otherwise); it
  // and its missing parents are created with mode 0700; one that cannot be
  // written is FAILED_PRECONDITION. The returned sequence is the newest
  // entry the backup holds, read from the backup once it is made.
  absl::StatusOr<BackupInfo> CreateBackup(const std::string& backup_dir) const;
  // Restores the newest backup of `backup_dir` into `data_dir`, which must
  // not exist or be empty (it and its missing parents are created 0700).
  // NOT_FOUND when `backup_dir` holds no backup. The ledger must not be
  // open on `data_dir`.
  static absl::Status RestoreBackup(const std::string& backup_dir,
                                    const std::string& data_dir);

 private:
  struct StagedBatch;
  class Earlier;
  // The answers of one batch, in order.
  struct Answers {
    std::vector<Done> dones;
    std::vector<Outcome> outcomes;
  };

  explicit Ledger(LedgerOptions options);
  absl::Status Load();
  // What a worker does: decide queued operations into the held batch, write
  // the held batch, or stop; kStart before its first step.
  enum class WorkStep { kStart, kDecide, kWrite, kStop };
  // Worker: gives back what step `done` held (the decider's role, the
  // write), then waits for the next step: takes queued operations into
  // `work` (kDecide) or the held batch (kWrite; the decider's role is held
  // until the batch is sealed). `written`: batches written or failed.
  WorkStep NextStep(WorkStep done,
                    std::vector<std::pair<Operation, Done>>* work,
                    uint64_t* written);
  void WorkLoop();
  // Decider: an empty batch (the spare one when there is one).
  std::shared_ptr<StagedBatch> NewBatch(EarlierState* earlier);
  // Worker, with the sealed batch: gives the decider's role back, writes
  // `staged` (unless a write failed before), then publishes its head and
  // answers it in order: itself when no answer is pending, else through the
  // completer. A failed write fails everything as the class comment says.
  void WriteAndAnswer(StagedBatch& staged);
  void CompletionLoop();
  // Writer: one operation of the batch, in steps: check its request id,
  // answer it again if it was seen (FindRequest), else decide it and keep
  // the outcome under its request id (DecideAndKeep).
  Outcome Process(Operation& operation, BatchState* batch);
  // Writer: the outcome kept under `request_id` by this batch, a batch not
  // yet written or RocksDB; nullopt for a new request.
  absl::StatusOr<std::optional<loyalty::v1::IdempotencyRecord>> FindRequest(
      const std::string& request_id, const BatchState& batch);
  // Writer: runs the decision; stages its changes when it succeeds, and
  // keeps a success or a business refusal (not a fault) with the batch.
  Outcome DecideAndKeep(Operation& operation, BatchState* batch);
  // Writer: puts the batch's member records, program balances, counters and
  // chain head into its WriteBatch.
  void Seal(StagedBatch& batch);
  // Writer: drops the staging of batches that RocksDB now shows, keeping
  // their member records in the cache.
  void Prune(uint64_t written_batches);
  void MakeRoomInCache();
  void Answer(Answers answers) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Syncer, once a write has failed: the batch's operations and the queued
  // ones (taken from queue_) all get UNAVAILABLE, naming `cause` when this
  // batch's write is the one that failed (OK: an earlier one did).
  void AnswerUnavailable(Answers answers,
                         std::deque<std::pair<Operation, Done>> queued,
                         const absl::Status& cause)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const LedgerOptions options_;
  std::unique_ptr<rocksdb::DB> db_;
  std::thread workers_[2];
  std::thread completer_;

  mutable absl::Mutex mu_;
  std::deque<std::pair<Operation, Done>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool failed_ ABSL_GUARDED_BY(mu_) = false;
  loyalty::v1::ChainHead published_head_ ABSL_GUARDED_BY(mu_);
  // Operations taken into the batch being decided (current_).
  size_t held_operations_ ABSL_GUARDED_BY(mu_) = 0;
  // A worker is the decider: it decides operations into current_, or seals
  // it. What "the writer" owns below is the decider's.
  bool deciding_ ABSL_GUARDED_BY(mu_) = false;
  // A worker writes a batch: from taking it until its answers are given
  // (or handed to the completer) and on_durable has returned.
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t written_batches_ ABSL_GUARDED_BY(mu_) = 0;  // written or failed
  // Durable (or failed) batches whose answers are not sent yet.
  std::deque<Answers> to_answer_ ABSL_GUARDED_BY(mu_);
  bool answering_ ABSL_GUARDED_BY(mu_) = false;  // the completer runs dones
  size_t workers_done_ ABSL_GUARDED_BY(mu_) = 0;
  // Recorded by the worker that writes, read by Stats(); thread-safe on
  // their own.
  WriteInstruments instruments_;

  // Owned by the decider (the worker that holds deciding_) once it runs.
  std::unique_ptr<Earlier> earlier_;
  std::shared_ptr<StagedBatch> current_;  // the batch being decided
  std::map<AccountAsset, int64_t> program_balances_;
  // Every counter, loaded at open (they number groups x months, not members).
  absl::flat_hash_map<std::string, std::vector<int64_t>> counters_;
  loyalty::v1::ChainHead head_;
  uint64_t sealed_batches_ = 0;
  // Batches handed on whose changes RocksDB may not show yet, oldest first.
  std::deque<std::shared_ptr<StagedBatch>> unwritten_;
  std::shared_ptr<StagedBatch> spare_;  // a written batch, for reuse
  // The latest record of recently touched members, all of them durable (the
  // writer is the only one who changes member records). Bounded by
  // kMaxCachedMembers.
  absl::flat_hash_map<std::string, loyalty::v1::MemberRecord> member_cache_;
};

}  // namespace loyalty::ledger

#endif  // LOYALTY_ENGINE_LEDGER_LEDGER_H_

// A RocksDB file system for tests whose WAL files fail or wait on demand:
// a FaultSwitch makes the WAL's Append fail (I/O error) or its Sync fail
// (disk full), or holds every sync at a gate until released, so a test can
// look at the system while a batch is decided but not yet durable.
#ifndef LOYALTY_TESTS_SUPPORT_FAULTY_FILE_SYSTEM_H_
#define LOYALTY_TESTS_SUPPORT_FAULTY_FILE_SYSTEM_H_

#include <atomic>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "rocksdb/env.h"
#include "rocksdb/file_system.h"

namespace loyalty::testing {

using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;

enum class Fault {
  kNone,
  kAppendIoError,  // WAL Append fails: nothing reaches the file
  kSyncNoSpace,    // WAL Sync fails: the bytes may sit in the page cache
};

// Counts what it injects; the switch is read on every call, so a test can
// flip it while the writer runs.
struct FaultSwitch {
  std::atomic<Fault> fault{Fault::kNone};
  std::atomic<int> injected{0};

  // While held, every WAL sync waits at the gate (see HoldSyncs).
  absl::Mutex gate_mu;
  bool held ABSL_GUARDED_BY(gate_mu) = false;
  int waiting ABSL_GUARDED_BY(gate_mu) = 0;

  void HoldSyncs() {
    absl::MutexLock lock(&gate_mu);
    held = true;
  }
  void ReleaseSyncs() {
    absl::MutexLock lock(&gate_mu);
    held = false;
  }
  // True once a sync waits at the gate.
  bool WaitForHeldSync(absl::Duration timeout) {
    absl::MutexLock lock(&gate_mu);
    return gate_mu.AwaitWithTimeout(
        absl::Condition(+[](int* n) { return *n > 0; }, &waiting), timeout);
  }
  void WaitAtGate() {
    absl::MutexLock lock(&gate_mu);
    ++waiting;
    gate_mu.Await(absl::Condition(+[](bool* h) { return !*h; }, &held));
    --waiting;
  }

  IOStatus Check(Fault when) {
    if (fault.load() != when) return IOStatus::OK();
    ++injected;
    return when == Fault::kSyncNoSpace ? IOStatus::NoSpace("injected: disk full")
                                       : IOStatus::IOError("injected: I/O error");
  }
};

// A WAL file whose writes and syncs consult the switch first.
class FaultyWalFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultyWalFile(std::unique_ptr<rocksdb::FSWritableFile> file, FaultSwitch* faults)
      : FSWritableFileOwnerWrapper(std::move(file)), faults_(faults) {}

  IOStatus Append(const rocksdb::Slice& data, const IOOptions& options,
                  IODebugContext* dbg) override {
    IOStatus status = faults_->Check(Fault::kAppendIoError);
    return status.ok() ? FSWritableFileOwnerWrapper::Append(data, options, dbg) : status;
  }
  IOStatus Append(const rocksdb::Slice& data, const IOOptions& options,
                  const rocksdb::DataVerificationInfo& info,
                  IODebugContext* dbg) override {
    IOStatus status = faults_->Check(Fault::kAppendIoError);
    return status.ok() ? FSWritableFileOwnerWrapper::Append(data, options, info, dbg)
                       : status;
  }
  IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                            const IOOptions& options, IODebugContext* dbg) override {
    IOStatus status = faults_->Check(Fault::kAppendIoError);
    return status.ok()
               ? FSWritableFileOwnerWrapper::PositionedAppend(data, offset, options, dbg)
               : status;
  }
  IOStatus Sync(const IOOptions& options, IODebugContext* dbg) override {
    faults_->WaitAtGate();
    IOStatus status = faults_->Check(Fault::kSyncNoSpace);
    return status.ok() ? FSWritableFileOwnerWrapper::Sync(options, dbg) : status;
  }
  IOStatus Fsync(const IOOptions& options, IODebugContext* dbg) override {
    faults_->WaitAtGate();
    IOStatus status = faults_->Check(Fault::kSyncNoSpace);
    return status.ok() ? FSWritableFileOwnerWrapper::Fsync(options, dbg) : status;
  }

 private:
  FaultSwitch* faults_;
};

// The real file system, except that WAL files ("*.log") are FaultyWalFiles.
class FaultyFileSystem : public rocksdb::FileSystemWrapper {
 public:
  explicit FaultyFileSystem(FaultSwitch* faults)
      : FileSystemWrapper(rocksdb::FileSystem::Default()), faults_(faults) {}

  const char* Name() const override { return "FaultyFileSystem"; }

  IOStatus NewWritableFile(const std::string& name,
                           const rocksdb::FileOptions& options,
                           std::unique_ptr<rocksdb::FSWritableFile>* result,
                           IODebugContext* dbg) override {
    IOStatus status = FileSystemWrapper::NewWritableFile(name, options, result, dbg);
    Wrap(name, status, result);
    return status;
  }
  IOStatus ReopenWritableFile(const std::string& name,
                              const rocksdb::FileOptions& options,
                              std::unique_ptr<rocksdb::FSWritableFile>* result,
                              IODebugContext* dbg) override {
    IOStatus status = FileSystemWrapper::ReopenWritableFile(name, options, result, dbg);
    Wrap(name, status, result);
    return status;
  }
  IOStatus ReuseWritableFile(const std::string& name, const std::string& old_name,
                             const rocksdb::FileOptions& options,
                             std::unique_ptr<rocksdb::FSWritableFile>* result,
                             IODebugContext* dbg) override {
    IOStatus status =
        FileSystemWrapper::ReuseWritableFile(name, old_name, options, result, dbg);
    Wrap(name, status, result);
    return status;
  }

 private:
  void Wrap(const std::string& name, const IOStatus& status,
            std::unique_ptr<rocksdb::FSWritableFile>* result) {
    if (status.ok() && absl::EndsWith(name, ".log")) {
      *result = std::make_unique<FaultyWalFile>(std::move(*result), faults_);
    }
  }

  FaultSwitch* faults_;
};

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_SUPPORT_FAULTY_FILE_SYSTEM_H_

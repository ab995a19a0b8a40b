#include "tests/replication/counter_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/base/sha256.h"
#include "engine/replication/file_manifest.h"

namespace loyalty::testing {
namespace {

constexpr char kFileName[] = "entries.log";
const std::string kEmptyHash(64, '0');

struct Parsed {
  CounterLog::State state;
  std::vector<std::string> hashes;  // by count
  size_t good_bytes = 0;            // up to the last complete line
};

std::string NextHash(const std::string& previous, absl::string_view payload) {
  return HexEncode(Sha256Pair(previous, payload));
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Every complete line, its chain checked; a torn last line (no newline) is
// left out, as a crash in the middle of a write(2) would leave it.
absl::StatusOr<Parsed> ParseEntries(absl::string_view text) {
  Parsed parsed;
  parsed.state.hash_hex = kEmptyHash;
  parsed.hashes.push_back(kEmptyHash);
  size_t start = 0;
  for (size_t end; (end = text.find('\n', start)) != absl::string_view::npos;
       start = end + 1) {
    const std::vector<absl::string_view> parts =
        absl::StrSplit(text.substr(start, end - start), ' ');
    uint64_t index = 0;
    if (parts.size() != 3 || !absl::SimpleAtoi(parts[0], &index) ||
        index <= parsed.state.applied_index) {
      return absl::DataLossError(absl::StrCat("bad line at byte ", start));
    }
    const std::string payload = absl::HexStringToBytes(parts[2]);
    const std::string hash = NextHash(parsed.state.hash_hex, payload);
    if (hash != parts[1]) {
      return absl::DataLossError(absl::StrCat("chain broken at ", index));
    }
    parsed.state = {index, parsed.state.count + 1, hash};
    parsed.hashes.push_back(hash);
    parsed.good_bytes = end + 1;
  }
  return parsed;
}

absl::Status SyncDirectory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return absl::InternalError("cannot open " + dir);
  const int rv = ::fsync(fd);
  ::close(fd);
  return rv == 0 ? absl::OkStatus() : absl::InternalError("fsync " + dir);
}

absl::Status WriteAll(int fd, absl::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t wrote = ::write(fd, bytes.data(), bytes.size());
    if (wrote < 0) return absl::InternalError("write entries.log failed");
    bytes.remove_prefix(static_cast<size_t>(wrote));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<CounterLog>> CounterLog::Open(std::string dir,
                                                             Fetch fetch) {
  std::filesystem::create_directories(dir);
  std::unique_ptr<CounterLog> log(
      new CounterLog(std::move(dir), std::move(fetch)));
  absl::MutexLock lock(&log->mu_);
  if (absl::Status loaded = log->Load(); !loaded.ok()) return loaded;
  return log;
}

CounterLog::~CounterLog() {
  absl::MutexLock lock(&mu_);
  if (fd_ >= 0) ::close(fd_);
}

absl::Status CounterLog::Load() {
  const std::string path = dir_ + "/" + kFileName;
  absl::StatusOr<Parsed> parsed = ParseEntries(ReadFile(path));
  if (!parsed.ok()) return parsed.status();
  if (std::filesystem::exists(path)) {
    std::filesystem::resize_file(path, parsed->good_bytes);
  }
  state_ = parsed->state;
  hashes_ = std::move(parsed->hashes);
  return OpenForAppend();
}

absl::Status CounterLog::OpenForAppend() {
  if (fd_ >= 0) ::close(fd_);
  const std::string path = dir_ + "/" + kFileName;
  fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  return fd_ >= 0 ? absl::OkStatus()
                  : absl::InternalError("cannot open " + path);
}

absl::Status CounterLog::Apply(uint64_t index, absl::string_view bytes) {
  absl::MutexLock lock(&mu_);
  if (index <= state_.applied_index) return absl::OkStatus();  // replayed
  const std::string hash = NextHash(state_.hash_hex, bytes);
  // No fsync: the entry is in the synced raft log of a majority.
  if (absl::Status wrote =
          WriteAll(fd_, absl::StrCat(index, " ", hash, " ",
                                     absl::BytesToHexString(bytes), "\n"));
      !wrote.ok()) {
    return wrote;
  }
  state_ = {index, state_.count + 1, hash};
  hashes_.push_back(hash);
  return absl::OkStatus();
}

absl::StatusOr<std::string> CounterLog::SnapshotIdentity(
    uint64_t applied_index) {
  absl::MutexLock lock(&mu_);
  if (::fdatasync(fd_) != 0)
    return absl::InternalError("fdatasync entries.log");
  if (state_.applied_index > applied_index) {
    return absl::InternalError("state is ahead of raft's applied index");
  }
  return absl::StrCat(state_.count, " ", state_.hash_hex);
}

absl::Status CounterLog::Restore(uint64_t index, absl::string_view identity) {
  std::pair<std::string, std::string> parts = absl::StrSplit(identity, ' ');
  uint64_t count = 0;
  if (!absl::SimpleAtoi(parts.first, &count)) {
    return absl::DataLossError("bad snapshot identity");
  }
  {
    absl::MutexLock lock(&mu_);
    if (state_.applied_index >= index) return absl::OkStatus();  // at start
  }
  const std::string incoming = dir_ + "/incoming";
  std::filesystem::remove_all(incoming);
  std::filesystem::create_directories(incoming);
  if (absl::Status fetched = fetch_(index, incoming); !fetched.ok())
    return fetched;
  absl::StatusOr<Parsed> parsed =
      ParseEntries(ReadFile(incoming + "/" + kFileName));
  if (!parsed.ok()) return parsed.status();
  if (parsed->state.applied_index < index || parsed->hashes.size() <= count ||
      parsed->hashes[count] != parts.second) {
    return absl::DataLossError("fetched state is not the snapshot's history");
  }
  absl::MutexLock lock(&mu_);
  std::filesystem::rename(incoming + "/" + kFileName, dir_ + "/" + kFileName);
  if (absl::Status synced = SyncDirectory(dir_); !synced.ok()) return synced;
  state_ = parsed->state;
  hashes_ = std::move(parsed->hashes);
  ++restores_fetched_;
  return OpenForAppend();
}

CounterLog::State CounterLog::state() const {
  absl::MutexLock lock(&mu_);
  return state_;
}

std::string CounterLog::Contents() const {
  absl::MutexLock lock(&mu_);
  return ReadFile(dir_ + "/" + kFileName);
}

uint64_t CounterLog::restores_fetched() const {
  absl::MutexLock lock(&mu_);
  return restores_fetched_;
}

absl::StatusOr<std::string> CounterLog::MakeCheckpoint() {
  absl::MutexLock checkpoint(&checkpoint_mu_);
  std::string contents;
  uint64_t applied_index = 0;
  {
    absl::MutexLock lock(&mu_);
    contents = ReadFile(dir_ + "/" + kFileName);
    applied_index = state_.applied_index;
  }
  const std::string out = checkpoint_dir();
  std::filesystem::create_directories(out);
  {
    std::ofstream file(out + "/" + kFileName,
                       std::ios::binary | std::ios::trunc);
    file << contents;
    if (!file.flush()) return absl::InternalError("cannot write checkpoint");
  }
  absl::StatusOr<replication::FileDigest> digest =
      replication::DigestFile(out, kFileName);
  if (!digest.ok()) return digest.status();
  return absl::StrCat(applied_index, "\n",
                      replication::EncodeManifest({*digest}));
}

}  // namespace loyalty::testing

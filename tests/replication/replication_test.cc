// engine/replication in one process: the snapshot record, the file manifest,
// and a one-member RaftNode (elects itself, applies in order, survives a
// restart without applying an entry twice, refuses work once stopped), and
// the entry frame whose padding a restart depends on (entry_frame.h).
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "engine/base/error.h"
#include "engine/replication/entry_frame.h"
#include "engine/replication/file_manifest.h"
#include "engine/replication/raft_node.h"
#include "engine/replication/snapshot_record.h"
#include "gtest/gtest.h"
#include "tests/replication/counter_log.h"
#include "tests/replication/node_setup.h"

namespace loyalty::replication {
namespace {

using testing::FreeLoopbackPort;

std::string TempDir(const std::string& name) {
  const std::string dir =
      absl::StrCat(::testing::TempDir(), "/repl-", name, "-", ::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

TEST(SnapshotRecordTest, RoundTripsAndRefusesADamagedRecord) {
  const SnapshotRecord record{42, 3, "17 abcdef"};
  const std::string bytes = EncodeSnapshotRecord(record);
  EXPECT_LT(bytes.size(), 100u);
  absl::StatusOr<SnapshotRecord> decoded = DecodeSnapshotRecord(bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->applied_index, 42u);
  EXPECT_EQ(decoded->node_id, 3u);
  EXPECT_EQ(decoded->identity, "17 abcdef");
  std::string damaged = bytes;
  damaged[26] ^= 1;
  EXPECT_EQ(DecodeSnapshotRecord(damaged).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeSnapshotRecord("LRS1").status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(EntryFrameTest, PadsToEightBytesAndGivesBackThePayload) {
  for (const std::string& payload :
       {std::string(), std::string("entry-0"), std::string(8, 'x'),
        std::string(13, 'y')}) {
    std::string framed(FramedSize(payload.size()), '?');
    EXPECT_EQ(framed.size() % 8, 0u);
    WriteFrame(payload, framed.data());
    absl::StatusOr<absl::string_view> read = ReadFrame(framed);
    ASSERT_TRUE(read.ok()) << read.status();
    EXPECT_EQ(*read, payload);
  }
  std::string framed(FramedSize(7), '\0');
  WriteFrame("entry-0", framed.data());
  framed[0] = 9;  // a length its frame cannot hold
  EXPECT_EQ(ReadFrame(framed).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(ReadFrame("entry-0").status().code(), absl::StatusCode::kDataLoss);
}

TEST(FileManifestTest, ChecksFilesBySizeAndHash) {
  const std::string dir = TempDir("manifest");
  std::ofstream(dir + "/a.sst") << "some table bytes";
  absl::StatusOr<FileDigest> digest = DigestFile(dir, "a.sst");
  ASSERT_TRUE(digest.ok()) << digest.status();
  EXPECT_EQ(digest->size_bytes, 16u);
  absl::StatusOr<std::vector<FileDigest>> decoded =
      DecodeManifest(EncodeManifest({*digest}));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_EQ(decoded->size(), 1u);
  EXPECT_EQ((*decoded)[0], *digest);
  EXPECT_TRUE(VerifyFile(dir, *digest).ok());
  std::ofstream(dir + "/a.sst") << "some table byteZ";
  EXPECT_EQ(VerifyFile(dir, *digest).code(), absl::StatusCode::kDataLoss);
  EXPECT_FALSE(DecodeManifest("../a.sst 1 " + std::string(64, 'a')).ok());
  EXPECT_FALSE(DecodeManifest("a.sst x " + std::string(64, 'a')).ok());
}

struct OneNode {
  std::unique_ptr<testing::CounterLog> log;
  std::unique_ptr<RaftNode> node;
};

OneNode StartOneNode(const std::string& dir, int port) {
  OneNode one;
  one.log = *testing::CounterLog::Open(
      dir + "/state", [](uint64_t, const std::string&) {
        return absl::UnavailableError("no peers");
      });
  RaftNodeOptions options;
  options.id = 1;
  options.address = absl::StrCat("127.0.0.1:", port);
  options.data_dir = dir + "/raft";
  options.bootstrap = {{1, options.address, Vote::kVoter}};
  options.election_timeout_ms = 300;
  options.heartbeat_timeout_ms = 30;
  options.on_fatal = [](const absl::Status& status) {
    ADD_FAILURE() << "fatal: " << status;
  };
  absl::StatusOr<std::unique_ptr<RaftNode>> node =
      RaftNode::Start(std::move(options), one.log.get());
  EXPECT_TRUE(node.ok()) << node.status();
  if (node.ok()) one.node = *std::move(node);
  return one;
}

bool WaitForLeader(const RaftNode& node) {
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (absl::Now() < deadline) {
    if (node.IsLeader()) return true;
    absl::SleepFor(absl::Milliseconds(20));
  }
  return false;
}

TEST(RaftNodeTest, OneMemberAppliesInOrderAndNothingTwiceAfterRestart) {
  const std::string dir = TempDir("one");
  const int port = FreeLoopbackPort();
  testing::CounterLog::State before;
  {
    OneNode one = StartOneNode(dir, port);
    ASSERT_NE(one.node, nullptr);
    ASSERT_TRUE(WaitForLeader(*one.node));
    uint64_t last_index = 0;
    for (int i = 0; i < 5; ++i) {
      absl::StatusOr<uint64_t> index =
          one.node->Propose(absl::StrCat("entry-", i)).get();
      ASSERT_TRUE(index.ok()) << index.status();
      EXPECT_GT(*index, last_index);
      last_index = *index;
      EXPECT_EQ(one.log->state().applied_index, *index);  // applied before done
    }
    std::promise<absl::Status> barrier;
    one.node->Barrier([&](absl::Status status) { barrier.set_value(status); });
    EXPECT_TRUE(barrier.get_future().get().ok());
    before = one.log->state();
    EXPECT_EQ(before.count, 5u);
    one.node->Stop();
    absl::StatusOr<uint64_t> refused = one.node->Propose("late").get();
    EXPECT_EQ(ErrorReason(refused.status()), "NODE_STOPPED");
  }
  OneNode again = StartOneNode(dir, port);
  ASSERT_NE(again.node, nullptr);
  ASSERT_TRUE(WaitForLeader(*again.node));
  std::promise<absl::Status> barrier;
  again.node->Barrier([&](absl::Status status) { barrier.set_value(status); });
  ASSERT_TRUE(barrier.get_future().get().ok());
  EXPECT_EQ(again.log->state().count, before.count);
  EXPECT_EQ(again.log->state().hash_hex, before.hash_hex);
}

TEST(RaftNodeTest, RefusesAnEntryOverTheLimit) {
  const std::string dir = TempDir("big");
  OneNode one = StartOneNode(dir, FreeLoopbackPort());
  ASSERT_NE(one.node, nullptr);
  ASSERT_TRUE(WaitForLeader(*one.node));
  absl::StatusOr<uint64_t> refused =
      one.node->Propose(std::string(RaftNode::kMaxEntryBytes + 1, 'x')).get();
  EXPECT_EQ(ErrorReason(refused.status()), "ENTRY_TOO_LARGE");
}

}  // namespace
}  // namespace loyalty::replication

#include "engine/replication/snapshot_record.h"

#include "absl/base/internal/endian.h"
#include "absl/status/status.h"
#include "engine/base/sha256.h"
#include "engine/replication/state_machine.h"

namespace loyalty::replication {
namespace {

constexpr absl::string_view kMagic = "LRS1";
constexpr size_t kDigestBytes = 8;
constexpr size_t kFixedBytes = 4 + 8 + 8 + 4;

void PutU64(std::string& out, uint64_t value) {
  char bytes[8];
  absl::little_endian::Store64(bytes, value);
  out.append(bytes, 8);
}

void PutU32(std::string& out, uint32_t value) {
  char bytes[4];
  absl::little_endian::Store32(bytes, value);
  out.append(bytes, 4);
}

}  // namespace

std::string EncodeSnapshotRecord(const SnapshotRecord& record) {
  std::string out(kMagic);
  PutU64(out, record.applied_index);
  PutU64(out, record.node_id);
  PutU32(out, static_cast<uint32_t>(record.identity.size()));
  out += record.identity;
  out += Sha256(out).substr(0, kDigestBytes);
  return out;
}

absl::StatusOr<SnapshotRecord> DecodeSnapshotRecord(absl::string_view bytes) {
  if (bytes.size() < kFixedBytes + kDigestBytes ||
      bytes.substr(0, kMagic.size()) != kMagic) {
    return absl::DataLossError("raft snapshot: not a snapshot record");
  }
  const uint32_t length = absl::little_endian::Load32(bytes.data() + 20);
  if (length > StateMachine::kMaxIdentityBytes ||
      bytes.size() != kFixedBytes + length + kDigestBytes) {
    return absl::DataLossError("raft snapshot: wrong length");
  }
  const absl::string_view body = bytes.substr(0, kFixedBytes + length);
  if (Sha256(body).substr(0, kDigestBytes) != bytes.substr(body.size())) {
    return absl::DataLossError("raft snapshot: digest does not match");
  }
  SnapshotRecord record;
  record.applied_index = absl::little_endian::Load64(bytes.data() + 4);
  record.node_id = absl::little_endian::Load64(bytes.data() + 12);
  record.identity = std::string(bytes.substr(kFixedBytes, length));
  return record;
}

}  // namespace loyalty::replication

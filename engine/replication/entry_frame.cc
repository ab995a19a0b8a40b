#include "engine/replication/entry_frame.h"

#include <cstring>

#include "absl/base/internal/endian.h"
#include "absl/status/status.h"

namespace loyalty::replication {
namespace {

constexpr size_t kLengthBytes = 8;

}  // namespace

size_t FramedSize(size_t payload_bytes) {
  return (kLengthBytes + payload_bytes + 7) / 8 * 8;
}

void WriteFrame(absl::string_view payload, char* out) {
  const size_t size = FramedSize(payload.size());
  std::memset(out, 0, size);
  absl::little_endian::Store64(out, payload.size());
  if (!payload.empty()) {
    std::memcpy(out + kLengthBytes, payload.data(), payload.size());
  }
}

absl::StatusOr<absl::string_view> ReadFrame(absl::string_view entry) {
  if (entry.size() < kLengthBytes || entry.size() % 8 != 0) {
    return absl::DataLossError("raft entry: not a framed entry");
  }
  const uint64_t length = absl::little_endian::Load64(entry.data());
  if (FramedSize(length) != entry.size() || length > entry.size()) {
    return absl::DataLossError("raft entry: length does not match its frame");
  }
  return entry.substr(kLengthBytes, length);
}

}  // namespace loyalty::replication

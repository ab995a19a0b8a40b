// How a proposed entry's bytes sit in a raft entry. raft_uv 0.15 writes an
// entry's data padded to a multiple of 8 bytes but reads a closed segment
// back as if the lengths were unpadded, so a segment holding an entry whose
// length is not a multiple of 8 fails to load at the next start ("entries
// batch N ... read header: short read"; measured, and dqlite pads its
// commands to 8 too). Every entry is therefore framed:
//
//   u64 payload length (little endian) | payload | zero padding to 8 bytes
#ifndef LOYALTY_ENGINE_REPLICATION_ENTRY_FRAME_H_
#define LOYALTY_ENGINE_REPLICATION_ENTRY_FRAME_H_

#include <cstddef>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace loyalty::replication {

// Bytes a framed payload of `payload_bytes` takes (a multiple of 8).
size_t FramedSize(size_t payload_bytes);
// Writes the frame of `payload` into `out`, FramedSize(payload.size()) bytes.
void WriteFrame(absl::string_view payload, char* out);
// The payload inside `entry`; DATA_LOSS if the frame is malformed.
absl::StatusOr<absl::string_view> ReadFrame(absl::string_view entry);

}  // namespace loyalty::replication

#endif  // LOYALTY_ENGINE_REPLICATION_ENTRY_FRAME_H_

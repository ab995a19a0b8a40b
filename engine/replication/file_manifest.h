// The files of a state that moves beside raft (a RocksDB checkpoint; the test
// node's log), each named with its size and SHA-256, so that a node that
// fetched them from a peer can prove it holds exactly what the peer sent
// before it swaps them in. The transport is the owner's (node-only gRPC for
// the ledger); this file only digests, encodes and checks.
//
// Manifest text: one line per file, "<name> <size_bytes> <sha256 hex>\n".
// Names are plain file names (no '/', not "." or ".."), at most 255 bytes.
#ifndef LOYALTY_ENGINE_REPLICATION_FILE_MANIFEST_H_
#define LOYALTY_ENGINE_REPLICATION_FILE_MANIFEST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace loyalty::replication {

struct FileDigest {
  std::string name;
  uint64_t size_bytes = 0;
  std::string sha256_hex;
  bool operator==(const FileDigest& other) const {
    return name == other.name && size_bytes == other.size_bytes &&
           sha256_hex == other.sha256_hex;
  }
};

// Reads `dir`/`name` in 1 MiB chunks (any size, bounded memory).
absl::StatusOr<FileDigest> DigestFile(const std::string& dir,
                                      const std::string& name);

std::string EncodeManifest(const std::vector<FileDigest>& files);
// INVALID_ARGUMENT naming the line on a malformed line or a bad name.
absl::StatusOr<std::vector<FileDigest>> DecodeManifest(absl::string_view text);

// OK if `dir`/`expected.name` has that size and digest; DATA_LOSS otherwise.
absl::Status VerifyFile(const std::string& dir, const FileDigest& expected);

inline constexpr size_t kMaxFileNameBytes = 255;
inline constexpr size_t kMaxManifestFiles = 100000;

}  // namespace loyalty::replication

#endif  // LOYALTY_ENGINE_REPLICATION_FILE_MANIFEST_H_

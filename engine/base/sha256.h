// SHA-256, used for the hash chain and for request fingerprints.
#ifndef LOYALTY_ENGINE_BASE_SHA256_H_
#define LOYALTY_ENGINE_BASE_SHA256_H_

#include <string>
#include "absl/strings/string_view.h"

namespace loyalty {

inline constexpr size_t kSha256Bytes = 32;

// The 32-byte digest of `data`.
std::string Sha256(absl::string_view data);

// The 32-byte digest of `a` followed by `b`, without copying them together.
std::string Sha256Pair(absl::string_view a, absl::string_view b);

// Lower-case hex of any bytes (absl::BytesToHexString).
std::string HexEncode(absl::string_view bytes);

}  // namespace loyalty

#endif  // LOYALTY_ENGINE_BASE_SHA256_H_

// Sealing of a member's personal profile fields under the member's own key
// (AES-256-GCM, OpenSSL's EVP): the crypto half of crypto-shredding
// (member_data.h keeps the records). The key is 32 random bytes; each seal
// draws a fresh 12-byte nonce; the member id is authenticated with the
// sealed bytes, so a record moved to another member does not open.
// Thread-safe (no state).
#ifndef LOYALTY_ENGINE_PROGRAM_PROFILE_SEAL_H_
#define LOYALTY_ENGINE_PROGRAM_PROFILE_SEAL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "loyalty/v1/storage.pb.h"
#include "loyalty/v1/types.pb.h"

namespace loyalty::program {

inline constexpr size_t kProfileKeyBytes = 32;
inline constexpr size_t kProfileNonceBytes = 12;

// `bytes` random bytes from OpenSSL's CSPRNG (stops the process when the
// system has no entropy source at all, as auth.cc's key generation does).
std::string RandomBytes(size_t bytes);

// The personal fields of `profile` (display_name, email, phone, birth_date,
// card_number), sealed under `key` with `nonce`.
loyalty::v1::SealedProfile SealProfile(const loyalty::v1::MemberProfile& profile,
                                       absl::string_view member_id,
                                       absl::string_view key,
                                       absl::string_view nonce);

// The profile sealed in `sealed`; DATA_LOSS (STORED_RECORD_UNREADABLE) when
// it does not open with `key` (a wrong key, or altered bytes). The message
// names the member id only.
absl::StatusOr<loyalty::v1::MemberProfile> OpenProfile(
    const loyalty::v1::SealedProfile& sealed, absl::string_view member_id,
    absl::string_view key);

}  // namespace loyalty::program

#endif  // LOYALTY_ENGINE_PROGRAM_PROFILE_SEAL_H_

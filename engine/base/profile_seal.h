// Sealing of a member's personal profile fields under the member's own key
// (AES-256-GCM, OpenSSL's EVP): the crypto half of crypto-shredding
// (member_data.h keeps the records). The key is 32 random bytes; each seal
// draws a fresh 12-byte nonce; the member id is authenticated with the
// sealed bytes, so a record moved to another member does not open.
// Thread-safe (no state).
#ifndef LOYALTY_ENGINE_BASE_PROFILE_SEAL_H_
#define LOYALTY_ENGINE_BASE_PROFILE_SEAL_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "loyalty/v1/storage.pb.h"
#include "loyalty/v1/types.pb.h"

namespace loyalty {

inline constexpr size_t kProfileKeyBytes = 32;
inline constexpr size_t kProfileNonceBytes = 12;

// Where a member's personal data is kept, as program-layer records
// (Transaction::PutAux keys): "pii/{id}/key" and "pii/{id}/profile".
std::string PersonalPrefix(absl::string_view member_id);
std::string PersonalKeyRecord(absl::string_view member_id);
std::string SealedProfileRecord(absl::string_view member_id);

// `profile` without its personal fields (display_name, email, phone,
// birth_date, card_number), and those fields copied from `personal` into
// `into`.
loyalty::v1::MemberProfile WithoutPersonal(loyalty::v1::MemberProfile profile);
void MergePersonal(const loyalty::v1::MemberProfile& personal,
                   loyalty::v1::MemberProfile* into);
// True when `profile` holds any personal field.
bool HasPersonal(const loyalty::v1::MemberProfile& profile);
// "MM-DD" of a YYYY-MM-DD birth date; empty for an empty one.
std::string BirthdayMonthDay(absl::string_view birth_date);

// `bytes` random bytes from OpenSSL's CSPRNG (stops the process when the
// system has no entropy source at all, as auth.cc's key generation does).
std::string RandomBytes(size_t bytes);

// The personal fields of `profile` (display_name, email, phone, birth_date,
// card_number), sealed under `key` with `nonce`.
loyalty::v1::SealedProfile SealProfile(
    const loyalty::v1::MemberProfile& profile, absl::string_view member_id,
    absl::string_view key, absl::string_view nonce);

// The profile sealed in `sealed`; DATA_LOSS (STORED_RECORD_UNREADABLE) when
// it does not open with `key` (a wrong key, or altered bytes). The message
// names the member id only.
absl::StatusOr<loyalty::v1::MemberProfile> OpenProfile(
    const loyalty::v1::SealedProfile& sealed, absl::string_view member_id,
    absl::string_view key);

}  // namespace loyalty

#endif  // LOYALTY_ENGINE_BASE_PROFILE_SEAL_H_

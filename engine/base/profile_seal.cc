#include "engine/base/profile_seal.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "absl/strings/str_cat.h"
#include "engine/base/error.h"

namespace loyalty {
namespace {

constexpr int kTagBytes = 16;

struct ContextFree {
  void operator()(EVP_CIPHER_CTX* context) const {
    EVP_CIPHER_CTX_free(context);
  }
};
using Context = std::unique_ptr<EVP_CIPHER_CTX, ContextFree>;

const unsigned char* Bytes(absl::string_view text) {
  return reinterpret_cast<const unsigned char*>(text.data());
}
unsigned char* Bytes(std::string& text) {
  return reinterpret_cast<unsigned char*>(text.data());
}

// Sealing fails only when memory runs out or the library is broken; a
// profile that cannot be sealed must not be stored in the clear, so the
// process stops (as sha256.cc does for a digest).
void CheckSealCall(int result, const char* call) {
  if (result == 1) return;
  std::fprintf(stderr, "AES-256-GCM: %s failed; stopping\n", call);
  std::abort();
}

// Only the personal fields: the rest stays in the member record.
loyalty::v1::MemberProfile PersonalFields(
    const loyalty::v1::MemberProfile& profile) {
  loyalty::v1::MemberProfile personal;
  personal.set_display_name(profile.display_name());
  personal.set_email(profile.email());
  personal.set_phone(profile.phone());
  personal.set_birth_date(profile.birth_date());
  personal.set_card_number(profile.card_number());
  return personal;
}

}  // namespace

std::string PersonalPrefix(absl::string_view member_id) {
  return absl::StrCat("pii/", member_id, "/");
}

loyalty::v1::MemberProfile WithoutPersonal(loyalty::v1::MemberProfile profile) {
  profile.clear_display_name();
  profile.clear_email();
  profile.clear_phone();
  profile.clear_birth_date();
  profile.clear_card_number();
  return profile;
}

void MergePersonal(const loyalty::v1::MemberProfile& personal,
                   loyalty::v1::MemberProfile* into) {
  into->set_display_name(personal.display_name());
  into->set_email(personal.email());
  into->set_phone(personal.phone());
  into->set_birth_date(personal.birth_date());
  into->set_card_number(personal.card_number());
}

std::string BirthdayMonthDay(absl::string_view birth_date) {
  return birth_date.size() == 10 ? std::string(birth_date.substr(5)) : "";
}

bool HasPersonal(const loyalty::v1::MemberProfile& profile) {
  return !profile.display_name().empty() || !profile.email().empty() ||
         !profile.phone().empty() || !profile.birth_date().empty() ||
         !profile.card_number().empty();
}

std::string PersonalKeyRecord(absl::string_view member_id) {
  return PersonalPrefix(member_id) + "key";
}

std::string SealedProfileRecord(absl::string_view member_id) {
  return PersonalPrefix(member_id) + "profile";
}

std::string RandomBytes(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(Bytes(raw), static_cast<int>(bytes)) != 1) std::abort();
  return raw;
}

loyalty::v1::SealedProfile SealProfile(
    const loyalty::v1::MemberProfile& profile, absl::string_view member_id,
    absl::string_view key, absl::string_view nonce) {
  const std::string plain = PersonalFields(profile).SerializeAsString();
  Context context(EVP_CIPHER_CTX_new());
  CheckSealCall(context != nullptr, "EVP_CIPHER_CTX_new");
  CheckSealCall(
      key.size() == kProfileKeyBytes && nonce.size() == kProfileNonceBytes,
      "key or nonce size");
  CheckSealCall(EVP_EncryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr,
                                   Bytes(key), Bytes(nonce)),
                "EVP_EncryptInit_ex");
  int length = 0;
  CheckSealCall(
      EVP_EncryptUpdate(context.get(), nullptr, &length, Bytes(member_id),
                        static_cast<int>(member_id.size())),
      "EVP_EncryptUpdate (member id)");
  std::string cipher(plain.size(), '\0');
  CheckSealCall(EVP_EncryptUpdate(context.get(), Bytes(cipher), &length,
                                  Bytes(plain), static_cast<int>(plain.size())),
                "EVP_EncryptUpdate");
  int tail = 0;
  CheckSealCall(
      EVP_EncryptFinal_ex(context.get(), Bytes(cipher) + length, &tail),
      "EVP_EncryptFinal_ex");
  std::string tag(kTagBytes, '\0');
  CheckSealCall(EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_GET_TAG,
                                    kTagBytes, tag.data()),
                "EVP_CTRL_GCM_GET_TAG");
  loyalty::v1::SealedProfile sealed;
  sealed.set_nonce(std::string(nonce));
  sealed.set_ciphertext(std::move(cipher));
  sealed.set_tag(std::move(tag));
  return sealed;
}

absl::StatusOr<loyalty::v1::MemberProfile> OpenProfile(
    const loyalty::v1::SealedProfile& sealed, absl::string_view member_id,
    absl::string_view key) {
  const absl::Status unreadable = MakeError(
      absl::StatusCode::kDataLoss, "STORED_RECORD_UNREADABLE", "member_id",
      absl::StrCat("the profile of member ", Quoted(member_id),
                   " does not open"));
  if (key.size() != kProfileKeyBytes ||
      sealed.nonce().size() != kProfileNonceBytes ||
      sealed.tag().size() != kTagBytes) {
    return unreadable;
  }
  Context context(EVP_CIPHER_CTX_new());
  CheckSealCall(context != nullptr, "EVP_CIPHER_CTX_new");
  std::string plain(sealed.ciphertext().size(), '\0');
  std::string tag = sealed.tag();
  int length = 0, tail = 0;
  const bool opened =
      EVP_DecryptInit_ex(context.get(), EVP_aes_256_gcm(), nullptr, Bytes(key),
                         Bytes(sealed.nonce())) == 1 &&
      EVP_DecryptUpdate(context.get(), nullptr, &length, Bytes(member_id),
                        static_cast<int>(member_id.size())) == 1 &&
      EVP_DecryptUpdate(context.get(), Bytes(plain), &length,
                        Bytes(sealed.ciphertext()),
                        static_cast<int>(sealed.ciphertext().size())) == 1 &&
      EVP_CIPHER_CTX_ctrl(context.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes,
                          tag.data()) == 1 &&
      EVP_DecryptFinal_ex(context.get(), Bytes(plain) + length, &tail) == 1;
  loyalty::v1::MemberProfile profile;
  if (!opened || !profile.ParseFromString(plain)) return unreadable;
  return profile;
}

}  // namespace loyalty

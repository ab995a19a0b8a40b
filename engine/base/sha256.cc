#include "engine/base/sha256.h"

#include <openssl/evp.h>

namespace loyalty {

std::string Sha256(absl::string_view data) { return Sha256Pair(data, {}); }

std::string Sha256Pair(absl::string_view a, absl::string_view b) {
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  EVP_DigestInit_ex(context, EVP_sha256(), nullptr);
  EVP_DigestUpdate(context, a.data(), a.size());
  EVP_DigestUpdate(context, b.data(), b.size());
  std::string digest(kSha256Bytes, '\0');
  unsigned int length = 0;
  EVP_DigestFinal_ex(context,
                     reinterpret_cast<unsigned char*>(digest.data()), &length);
  EVP_MD_CTX_free(context);
  return digest;
}

std::string HexEncode(absl::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(bytes.size() * 2);
  for (unsigned char byte : bytes) {
    hex.push_back(kDigits[byte >> 4]);
    hex.push_back(kDigits[byte & 0x0f]);
  }
  return hex;
}

}  // namespace loyalty

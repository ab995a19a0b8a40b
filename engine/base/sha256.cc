#include "engine/base/sha256.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>
#include <memory>

#include "absl/strings/escaping.h"

namespace loyalty {
namespace {

struct ContextFree {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

// OpenSSL's digest calls fail only when memory runs out or the library is
// broken. A wrong digest would go into the hash chain and every request
// fingerprint, so the process stops instead of answering with it.
void CheckDigestCall(int result, const char* call) {
  if (result == 1) return;
  std::fprintf(stderr, "SHA-256: %s failed; stopping\n", call);
  std::abort();
}

}  // namespace

std::string Sha256(absl::string_view data) { return Sha256Pair(data, {}); }

std::string Sha256Pair(absl::string_view a, absl::string_view b) {
  std::unique_ptr<EVP_MD_CTX, ContextFree> context(EVP_MD_CTX_new());
  CheckDigestCall(context != nullptr, "EVP_MD_CTX_new");
  CheckDigestCall(EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr),
                  "EVP_DigestInit_ex");
  CheckDigestCall(EVP_DigestUpdate(context.get(), a.data(), a.size()),
                  "EVP_DigestUpdate");
  CheckDigestCall(EVP_DigestUpdate(context.get(), b.data(), b.size()),
                  "EVP_DigestUpdate");
  std::string digest(kSha256Bytes, '\0');
  unsigned int length = 0;
  CheckDigestCall(EVP_DigestFinal_ex(
                      context.get(),
                      reinterpret_cast<unsigned char*>(digest.data()), &length),
                  "EVP_DigestFinal_ex");
  CheckDigestCall(length == kSha256Bytes, "EVP_DigestFinal_ex (length)");
  return digest;
}

std::string HexEncode(absl::string_view bytes) {
  return absl::BytesToHexString(bytes);
}

}  // namespace loyalty

#include "engine/replication/file_manifest.h"

#include <openssl/evp.h>

#include <fstream>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/base/sha256.h"

namespace loyalty::replication {
namespace {

constexpr size_t kChunkBytes = 1u << 20;

bool PlainName(absl::string_view name) {
  return !name.empty() && name.size() <= kMaxFileNameBytes && name != "." &&
         name != ".." && name.find('/') == absl::string_view::npos &&
         name.find('\0') == absl::string_view::npos;
}

absl::StatusOr<FileDigest> ParseLine(absl::string_view line, size_t number) {
  const std::vector<absl::string_view> parts = absl::StrSplit(line, ' ');
  FileDigest file;
  if (parts.size() != 3 || !PlainName(parts[0]) ||
      !absl::SimpleAtoi(parts[1], &file.size_bytes) ||
      parts[2].size() != 2 * kSha256Bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "manifest line ", number, ": want <name> <size> <sha256>"));
  }
  file.name = std::string(parts[0]);
  file.sha256_hex = std::string(parts[2]);
  return file;
}

}  // namespace

absl::StatusOr<FileDigest> DigestFile(const std::string& dir,
                                      const std::string& name) {
  const std::string path = dir + "/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open ", path));
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(
      EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr);
  FileDigest file{name, 0, ""};
  std::string chunk(kChunkBytes, '\0');
  while (in) {
    in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
    const size_t got = static_cast<size_t>(in.gcount());
    EVP_DigestUpdate(context.get(), chunk.data(), got);
    file.size_bytes += got;
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat("cannot read ", path));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_bytes = 0;
  EVP_DigestFinal_ex(context.get(), digest, &digest_bytes);
  file.sha256_hex = HexEncode(
      absl::string_view(reinterpret_cast<const char*>(digest), digest_bytes));
  return file;
}

std::string EncodeManifest(const std::vector<FileDigest>& files) {
  std::string text;
  for (const FileDigest& file : files) {
    absl::StrAppend(&text, file.name, " ", file.size_bytes, " ",
                    file.sha256_hex, "\n");
  }
  return text;
}

absl::StatusOr<std::vector<FileDigest>> DecodeManifest(absl::string_view text) {
  std::vector<FileDigest> files;
  size_t number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    if (++number > kMaxManifestFiles) {
      return absl::InvalidArgumentError("manifest: too many files");
    }
    absl::StatusOr<FileDigest> file = ParseLine(line, number);
    if (!file.ok()) return file.status();
    files.push_back(*std::move(file));
  }
  return files;
}

absl::Status VerifyFile(const std::string& dir, const FileDigest& expected) {
  absl::StatusOr<FileDigest> actual = DigestFile(dir, expected.name);
  if (!actual.ok()) return actual.status();
  if (!(*actual == expected)) {
    return absl::DataLossError(
        absl::StrCat(expected.name, ": want ", expected.size_bytes,
                     " bytes sha256 ", expected.sha256_hex, ", have ",
                     actual->size_bytes, " bytes sha256 ", actual->sha256_hex));
  }
  return absl::OkStatus();
}

}  // namespace loyalty::replication

#include "engine/base/member_index.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/base/sha256.h"

namespace loyalty {
namespace {

constexpr size_t kDigestBytes = 16;

const char* KindName(IndexKind kind) {
  switch (kind) {
    case IndexKind::kEmail:
      return "email";
    case IndexKind::kPhone:
      return "phone";
    case IndexKind::kCard:
      return "card";
    case IndexKind::kName:
      return "name";
  }
  return "";
}

// At most `max` bytes of `text`, cut at a UTF-8 character boundary.
absl::string_view CutUtf8(absl::string_view text, size_t max) {
  if (text.size() <= max) return text;
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80)
    --end;
  return text.substr(0, end);
}

std::string KeyPrefix(IndexKind kind, absl::string_view normalized) {
  const std::string digest =
      Sha256Pair(KindName(kind), normalized).substr(0, kDigestBytes);
  return absl::StrCat(kMemberIndexPrefix, KindName(kind), "/",
                      HexEncode(digest), "/");
}

// Where each word of a normalized name starts.
std::vector<size_t> WordStarts(absl::string_view name) {
  std::vector<size_t> starts;
  for (size_t i = 0; i < name.size(); ++i) {
    if (i == 0 || name[i - 1] == ' ') starts.push_back(i);
  }
  return starts;
}

}  // namespace

std::string NormalizeForIndex(IndexKind kind, absl::string_view value) {
  std::string out;
  switch (kind) {
    case IndexKind::kEmail:
      return absl::AsciiStrToLower(absl::StripAsciiWhitespace(value));
    case IndexKind::kPhone:
      for (char c : absl::StripAsciiWhitespace(value)) {
        if (absl::ascii_isdigit(c) || (c == '+' && out.empty()))
          out.push_back(c);
      }
      return out;
    case IndexKind::kCard:
      for (char c : value) {
        if (c != ' ' && c != '-' && c != '\t') out.push_back(c);
      }
      return out;
    case IndexKind::kName:
      for (absl::string_view word : absl::StrSplit(
               value, absl::ByAnyChar(" \t\n\r"), absl::SkipEmpty())) {
        if (!out.empty()) out.push_back(' ');
        absl::StrAppend(&out, absl::AsciiStrToLower(word));
      }
      return out;
  }
  return out;
}

std::string IndexValuePrefix(IndexKind kind, absl::string_view value) {
  std::string normalized = NormalizeForIndex(kind, value);
  if (normalized.empty()) return "";
  if (kind == IndexKind::kName) {
    normalized = std::string(CutUtf8(normalized, kIndexedNameBytes));
  }
  return KeyPrefix(kind, normalized);
}

std::vector<std::string> IndexKeysOf(
    const loyalty::v1::MemberProfile& profile) {
  std::vector<std::string> keys;
  const std::string& id = profile.member_id();
  for (const auto& [kind, value] :
       {std::pair<IndexKind, const std::string*>{IndexKind::kEmail,
                                                 &profile.email()},
        {IndexKind::kPhone, &profile.phone()},
        {IndexKind::kCard, &profile.card_number()}}) {
    const std::string prefix = IndexValuePrefix(kind, *value);
    if (!prefix.empty()) keys.push_back(prefix + id);
  }
  const std::string name =
      NormalizeForIndex(IndexKind::kName, profile.display_name());
  for (size_t start : WordStarts(name)) {
    const absl::string_view rest = absl::string_view(name).substr(start);
    for (size_t length = 1; length <= std::min(rest.size(), kIndexedNameBytes);
         ++length) {
      if (CutUtf8(rest, length).size() != length) continue;  // mid-character
      keys.push_back(KeyPrefix(IndexKind::kName, rest.substr(0, length)) + id);
    }
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  return keys;
}

bool NameHasPrefix(const loyalty::v1::MemberProfile& profile,
                   absl::string_view prefix) {
  const std::string name =
      NormalizeForIndex(IndexKind::kName, profile.display_name());
  const std::string wanted = NormalizeForIndex(IndexKind::kName, prefix);
  if (wanted.empty()) return false;
  for (size_t start : WordStarts(name)) {
    if (absl::StartsWith(absl::string_view(name).substr(start), wanted))
      return true;
  }
  return false;
}

}  // namespace loyalty

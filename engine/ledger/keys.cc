#include "engine/ledger/keys.h"

#include "absl/strings/str_cat.h"

namespace loyalty::ledger::keys {
namespace {

void AppendBigEndian(int64_t value, std::string* out) {
  uint64_t bits = static_cast<uint64_t>(value);
  for (int shift = 56; shift >= 0; shift -= 8) {
    out->push_back(static_cast<char>((bits >> shift) & 0xff));
  }
}

}  // namespace

std::string Entry(int64_t sequence) {
  std::string key(kEntryPrefix);
  AppendBigEndian(sequence, &key);
  return key;
}

std::string HistoryPrefix(absl::string_view member_id) {
  return absl::StrCat(kHistoryPrefix, member_id, "/");
}

std::string History(absl::string_view member_id, int64_t sequence) {
  std::string key = HistoryPrefix(member_id);
  AppendBigEndian(sequence, &key);
  return key;
}

std::string Member(absl::string_view member_id) {
  return absl::StrCat(kMemberPrefix, member_id);
}

std::string Request(absl::string_view request_id) {
  return absl::StrCat(kRequestPrefix, request_id);
}

std::string Account(absl::string_view account, absl::string_view asset) {
  return absl::StrCat(kAccountPrefix, account, absl::string_view("\0", 1),
                      asset);
}

std::string Aux(absl::string_view key) { return absl::StrCat(kAuxPrefix, key); }

std::string Counter(absl::string_view key) {
  return absl::StrCat(kCounterPrefix, key);
}

std::optional<int64_t> SequenceSuffix(absl::string_view key) {
  if (key.size() < 8) return std::nullopt;
  uint64_t bits = 0;
  for (unsigned char byte : key.substr(key.size() - 8)) {
    bits = (bits << 8) | byte;
  }
  return static_cast<int64_t>(bits);
}

}  // namespace loyalty::ledger::keys

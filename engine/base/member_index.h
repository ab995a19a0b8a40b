// The search index of members' profiles (Members.SearchMembers): one empty
// program-layer record per (kind, value, member), written and deleted in the
// same write as the profile it indexes (member_data.h):
//   member-index/{kind}/{digest}/{member_id}
// where kind is email, phone, card or name, and digest the first 16 bytes
// of SHA-256 over the kind and the normalized value, in hex: the index
// holds no value in the clear. Names are indexed by every prefix, up to
// kIndexedNameBytes, of the whole name and of each of its words; a longer
// prefix is looked up by its first kIndexedNameBytes and the candidates'
// profiles checked.
#ifndef LOYALTY_ENGINE_BASE_MEMBER_INDEX_H_
#define LOYALTY_ENGINE_BASE_MEMBER_INDEX_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "loyalty/v1/types.pb.h"

namespace loyalty {

inline constexpr char kMemberIndexPrefix[] = "member-index/";
inline constexpr size_t kIndexedNameBytes = 16;

enum class IndexKind { kEmail, kPhone, kCard, kName };

// The value as the index compares it: an e-mail trimmed and in lower case,
// a phone's digits (and a leading '+'), a card number without spaces and
// dashes, a name in lower case with single spaces.
std::string NormalizeForIndex(IndexKind kind, absl::string_view value);

// "member-index/{kind}/{digest}/": the records of one looked-up value (a
// name prefix is cut to kIndexedNameBytes first). Empty for an empty value.
std::string IndexValuePrefix(IndexKind kind, absl::string_view value);

// Every index key of `profile` (its member_id and personal fields).
std::vector<std::string> IndexKeysOf(const loyalty::v1::MemberProfile& profile);

// True when the normalized name of `profile`, or one of its words, starts
// with the normalized `prefix`.
bool NameHasPrefix(const loyalty::v1::MemberProfile& profile,
                   absl::string_view prefix);

}  // namespace loyalty

#endif  // LOYALTY_ENGINE_BASE_MEMBER_INDEX_H_

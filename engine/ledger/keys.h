// How the ledger lays its records out in RocksDB's one key space. Each
// record kind has a one-letter prefix; sequences are big-endian so that keys
// sort in journal order.
//
//   e/{seq:8 bytes BE}          JournalEntry
//   h/{member}/{seq:8 bytes BE} ""  (the member's history index)
//   m/{member}                  MemberRecord
//   r/{request_id}              IdempotencyRecord
//   a/{account}\0{asset}        AccountBalance (program-level accounts)
//   c/head                      ChainHead
//   x/{...}                     records owned by the program layer
//   k/{...}                     CounterSet (metrics counters)
#ifndef LOYALTY_ENGINE_LEDGER_KEYS_H_
#define LOYALTY_ENGINE_LEDGER_KEYS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace loyalty::ledger::keys {

inline constexpr char kEntryPrefix[] = "e/";
inline constexpr char kHistoryPrefix[] = "h/";
inline constexpr char kMemberPrefix[] = "m/";
inline constexpr char kRequestPrefix[] = "r/";
inline constexpr char kAccountPrefix[] = "a/";
inline constexpr char kChainHead[] = "c/head";
inline constexpr char kAuxPrefix[] = "x/";
inline constexpr char kCounterPrefix[] = "k/";

std::string Entry(int64_t sequence);
std::string History(absl::string_view member_id, int64_t sequence);
std::string HistoryPrefix(absl::string_view member_id);
std::string Member(absl::string_view member_id);
std::string Request(absl::string_view request_id);
std::string Account(absl::string_view account, absl::string_view asset);
std::string Aux(absl::string_view key);
std::string Counter(absl::string_view key);

// The sequence at the end of an entry or history key.
std::optional<int64_t> SequenceSuffix(absl::string_view key);

}  // namespace loyalty::ledger::keys

#endif  // LOYALTY_ENGINE_LEDGER_KEYS_H_

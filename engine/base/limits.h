// Limits on what callers send (TIGER_STYLE: a limit on everything). Every
// string and repeated field of every request has a limit here, by field
// name, wherever that name appears: `member_id` is 64 bytes in
// GetBalanceRequest as in Purchase and Feedback. README.md (Security,
// "Limits") shows the same table; tests/integration/limits_test.cc checks that
// every field of every request in proto/loyalty/v1 has an entry.
//
// CheckRequestLimits runs on the path of every call (engine/server/
// call_path.h), right after the caller check, before anything reads the
// request, so that no later check, log line or error message ever
// handles an unbounded value.
#ifndef LOYALTY_ENGINE_BASE_LIMITS_H_
#define LOYALTY_ENGINE_BASE_LIMITS_H_

#include <cstddef>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"

namespace loyalty {

// The limits other code names (the table in limits.cc uses these).
inline constexpr size_t kMaxRequestIdBytes = 128;
inline constexpr size_t kMaxMemberIdBytes = 64;
inline constexpr size_t kMaxOrderIdBytes = 128;
inline constexpr size_t kMaxSkuBytes = 128;
inline constexpr size_t kMaxIdBytes = 64;  // partner, store, terminal, reward, key ids
inline constexpr size_t kMaxPromoCodeBytes = 32;
inline constexpr size_t kMaxProfileTextBytes = 256;  // names, e-mail, phone, region
inline constexpr size_t kMaxNoteBytes = 500;
inline constexpr int kMaxBasketLines = 1000;
inline constexpr int kMaxPromoCodesPerPurchase = 10;
inline constexpr int kMaxSegments = 32;
// Events.WatchEvents: kinds asked for (there are fewer kinds than this).
inline constexpr int kMaxEventKinds = 16;
// Checkout.CommitPurchases: purchases per call, and their bytes in all (so
// that the answer, a priced sale and a balance per purchase, fits the 4 MiB
// message limit too).
inline constexpr int kMaxBatchPurchases = 500;
inline constexpr size_t kMaxBatchBytes = size_t{1} << 20;
// Rule files travel as one string; the message size bounds them, and the
// rule-file reader refuses more than 1 MiB with a problem of its own.
inline constexpr size_t kMaxRuleFileFieldBytes = size_t{4} << 20;

// One row of the table: a field name and its bound. For a string, the
// bound is in bytes; for a repeated field, in values (each string value of
// a repeated string field also has the string bound of its name).
struct FieldLimit {
  absl::string_view field;
  size_t max;
  absl::string_view reason;  // of the refusal, UPPER_SNAKE
};

// The string limits, by field name.
std::optional<FieldLimit> TextLimitOf(absl::string_view field);
// The count limits of repeated fields, by field name.
std::optional<FieldLimit> CountLimitOf(absl::string_view field);

// INVALID_ARGUMENT naming the first field over its limit, e.g.
// "TEXT_TOO_LONG: purchase.lines[3].sku: at most 128 bytes, got 70000";
// OK otherwise. A field without an entry in the table is held to the
// strictest default (kMaxIdBytes, one value), so a field added to a proto
// without a limit is refused early rather than accepted unbounded.
absl::Status CheckRequestLimits(const google::protobuf::Message& request);

}  // namespace loyalty

#endif  // LOYALTY_ENGINE_BASE_LIMITS_H_

// The condition language of rule files, compiled once at load into a flat
// program for a small stack machine (rules/README.md teaches the language).
//
//   condition := or
//   or        := and (("||" | "or") and)*
//   and       := not (("&&" | "and") not)*
//   not       := ("!" | "not") not | compare
//   compare   := operand [op operand | "in" "[" literal ("," literal)* "]"
//                         | "in" "segments"]
//   operand   := field | integer | "text" | 'text' | YYYY-MM-DD | true
//                | false | "(" or ")"
//   op        := "==" | "!=" | "<" | "<=" | ">" | ">="
//
// Compiling resolves every field to a slot of a Facts array and every text
// literal to an interned id (Symbols), checks types, and bounds the stack.
// Evaluating is a loop over the instructions with a fixed stack on the C++
// stack: no parsing, no string compares and no allocation per condition.
// A Condition is immutable after compiling and safe to share across threads.
#ifndef LOYALTY_ENGINE_EVALUATOR_CONDITION_H_
#define LOYALTY_ENGINE_EVALUATOR_CONDITION_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace loyalty::evaluator::internal {

// Every value a condition sees is an int64: a whole number, an interned text
// id, 0/1, a day number (days since 1970-01-01), an ISO weekday 1..7, a
// loyalty.v1.Channel value, or a bit mask of segments.
enum Slot : uint8_t {
  // The purchase.
  kSlotSubtotal,
  kSlotChannel,
  kSlotStore,
  kSlotPartner,
  kSlotWeekday,
  kSlotHour,
  kSlotDate,
  // The member.
  kSlotTier,
  kSlotSegments,
  kSlotRegion,
  kSlotEnrolledDays,
  kSlotBirthdayThisWeek,
  kSlotBirthdayThisMonth,
  kSlotPurchases,
  kSlotFirstPurchase,
  kSlotRewardsRedeemed,
  // The line (only in line conditions).
  kSlotSku,
  kSlotCategory,
  kSlotQuantity,
  kSlotPrice,
  kSlotAmount,
  kSlotCount,
};
inline constexpr int kFirstLineSlot = kSlotSku;

// What a condition is evaluated against: one value per slot.
struct Facts {
  int64_t slot[kSlotCount] = {};
};

// The id of a text that no condition mentions; equal to no literal.
inline constexpr int64_t kUnknownText = -1;
// At most this many distinct segment names over all conditions of a rule
// set, so that a member's segments fit one 64-bit mask.
inline constexpr int kMaxSegmentNames = 64;

// Texts of a rule set mapped to ids, built at compile time, read-only while
// pricing. Segment names get bits of their own.
class Symbols {
 public:
  int64_t Intern(absl::string_view text);
  int64_t Find(absl::string_view text) const;  // kUnknownText if absent
  size_t size() const { return ids_.size(); }  // ids are 0 .. size() - 1
  // The bit of a segment name, added if new; -1 when there are already
  // kMaxSegmentNames.
  int SegmentBit(absl::string_view segment);
  // The mask of the segments a condition mentions.
  template <typename Container>
  uint64_t SegmentMask(const Container& segments) const {
    uint64_t mask = 0;
    for (const auto& segment : segments) {
      auto it = segment_bits_.find(absl::string_view(segment));
      if (it != segment_bits_.end()) mask |= uint64_t{1} << it->second;
    }
    return mask;
  }

 private:
  absl::flat_hash_map<std::string, int64_t> ids_;
  absl::flat_hash_map<std::string, int> segment_bits_;
};

enum class OpCode : uint8_t {
  kPush,  // value
  kLoad,  // slot
  kEqual,
  kNotEqual,
  kLess,
  kLessEqual,
  kGreater,
  kGreaterEqual,
  kAnd,
  kOr,
  kNot,
  kIn,       // list_begin, list_size into the constant pool
  kAnyBits,  // value: mask
  // Fused forms (Condition::Fuse): a slot compared with a constant in one
  // step, as most conditions are such comparisons joined by and / or.
  kSlotEqual,  // slot, value
  kSlotNotEqual,
  kSlotLess,
  kSlotLessEqual,
  kSlotGreater,
  kSlotGreaterEqual,
  kSlotIn,       // slot, list_begin, list_size
  kSlotAnyBits,  // slot, value: mask
};

struct Instruction {
  OpCode op;
  uint8_t slot = 0;
  uint16_t list_size = 0;
  uint32_t list_begin = 0;
  int64_t value = 0;
};

// Whether line fields (sku, category, quantity, price, amount) are allowed.
enum class ConditionKind { kPurchase, kLine };

// Bounds on one condition (TIGER_STYLE): its text, its code, its stack and
// how deep parentheses and "not" may nest.
inline constexpr size_t kMaxConditionLength = 2000;
inline constexpr size_t kMaxInstructions = 512;
inline constexpr int kMaxStackDepth = 32;
inline constexpr int kMaxNesting = 24;

class Condition {
 public:
  Condition() = default;  // the empty condition: always true

  // Parses and type-checks `text`. Errors are INVALID_ARGUMENT whose message
  // reads "column 12: unknown field 'subtotl'; ..." (1-based columns into
  // `text`). New texts are interned into `symbols`.
  static absl::StatusOr<Condition> Compile(absl::string_view text,
                                           ConditionKind kind,
                                           Symbols& symbols);

  bool always_true() const { return code_.empty(); }

  // True when the condition holds for `facts`. Never allocates.
  bool Evaluate(const Facts& facts) const;

 private:
  friend class ConditionCompiler;
  // Rewrites "load; push; compare", "load; not" and "load; in / any bits"
  // into the fused one-step forms; run once the program is complete. Each step
  // of the loop costs a dispatch, which dominates such small programs.
  void Fuse();
  bool InList(const Instruction& in, int64_t value) const;
  std::vector<Instruction> code_;
  std::vector<int64_t> constants_;  // the lists of "in [..]"
};

// The day number of a civil date (days since 1970-01-01), as conditions
// compare dates.
int64_t DayNumber(int64_t year, int month, int day);

}  // namespace loyalty::evaluator::internal

#endif  // LOYALTY_ENGINE_EVALUATOR_CONDITION_H_

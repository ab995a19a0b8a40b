// Running compiled conditions, and the symbol table they were compiled with.
#include <cassert>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/time/civil_time.h"
#include "engine/evaluator/condition.h"

namespace loyalty::evaluator::internal {

int64_t Symbols::Intern(absl::string_view text) {
  auto [it, inserted] =
      ids_.try_emplace(std::string(text), static_cast<int64_t>(ids_.size()));
  return it->second;
}

int64_t Symbols::Find(absl::string_view text) const {
  auto it = ids_.find(text);
  return it == ids_.end() ? kUnknownText : it->second;
}

int Symbols::SegmentBit(absl::string_view segment) {
  auto it = segment_bits_.find(segment);
  if (it != segment_bits_.end()) return it->second;
  const int bit = static_cast<int>(segment_bits_.size());
  if (bit >= kMaxSegmentNames) return -1;
  segment_bits_.emplace(std::string(segment), bit);
  return bit;
}

int64_t DayNumber(int64_t year, int month, int day) {
  return absl::CivilDay(year, month, day) - absl::CivilDay(1970, 1, 1);
}

namespace {

// The fused form of "slot <op> constant".
std::optional<OpCode> SlotForm(OpCode op) {
  switch (op) {
    case OpCode::kEqual: return OpCode::kSlotEqual;
    case OpCode::kNotEqual: return OpCode::kSlotNotEqual;
    case OpCode::kLess: return OpCode::kSlotLess;
    case OpCode::kLessEqual: return OpCode::kSlotLessEqual;
    case OpCode::kGreater: return OpCode::kSlotGreater;
    case OpCode::kGreaterEqual: return OpCode::kSlotGreaterEqual;
    default: return std::nullopt;
  }
}

// `op` with its sides swapped: "5 < x" is "x > 5".
OpCode Mirror(OpCode op) {
  switch (op) {
    case OpCode::kLess: return OpCode::kGreater;
    case OpCode::kLessEqual: return OpCode::kGreaterEqual;
    case OpCode::kGreater: return OpCode::kLess;
    case OpCode::kGreaterEqual: return OpCode::kLessEqual;
    default: return op;  // == and != are symmetric
  }
}

// The fused instruction for code[i..], and how many it replaces (0: none).
// Each pattern is a complete operand: its instructions push exactly the
// values the last one consumes, so the replacement computes the same value.
std::pair<Instruction, size_t> FusedAt(const std::vector<Instruction>& code,
                                       size_t i) {
  const size_t left = code.size() - i;
  const Instruction& first = code[i];
  if (left >= 3 && (first.op == OpCode::kLoad || first.op == OpCode::kPush)) {
    const Instruction& second = code[i + 1];
    const bool field_first = first.op == OpCode::kLoad;
    const OpCode other = field_first ? OpCode::kPush : OpCode::kLoad;
    std::optional<OpCode> fused =
        SlotForm(field_first ? code[i + 2].op : Mirror(code[i + 2].op));
    if (second.op == other && fused.has_value()) {
      const Instruction& field = field_first ? first : second;
      const Instruction& constant = field_first ? second : first;
      return {{*fused, field.slot, 0, 0, constant.value}, 3};
    }
  }
  if (left >= 2 && first.op == OpCode::kLoad &&
      code[i + 1].op == OpCode::kNot) {
    return {{OpCode::kSlotEqual, first.slot, 0, 0, 0}, 2};  // "not x": x == 0
  }
  if (left >= 2 && first.op == OpCode::kLoad &&
      (code[i + 1].op == OpCode::kIn || code[i + 1].op == OpCode::kAnyBits)) {
    Instruction fused = code[i + 1];
    fused.op = fused.op == OpCode::kIn ? OpCode::kSlotIn : OpCode::kSlotAnyBits;
    fused.slot = first.slot;
    return {fused, 2};
  }
  return {first, 0};
}

}  // namespace

void Condition::Fuse() {
  std::vector<Instruction> fused;
  fused.reserve(code_.size());
  for (size_t i = 0; i < code_.size();) {
    const auto [instruction, replaced] = FusedAt(code_, i);
    fused.push_back(instruction);
    i += replaced == 0 ? 1 : replaced;
  }
  code_ = std::move(fused);
}

bool Condition::InList(const Instruction& in, int64_t value) const {
  const int64_t* list = constants_.data() + in.list_begin;
  for (uint16_t i = 0; i < in.list_size; ++i) {
    if (list[i] == value) return true;
  }
  return false;
}

// The compiler guarantees a well-formed program: every binary instruction
// finds two values, the stack never exceeds kMaxStackDepth, and the program
// leaves exactly one value (asserted in debug builds).
bool Condition::Evaluate(const Facts& facts) const {
  int64_t stack[kMaxStackDepth];
  int top = -1;  // index of the top value
  for (const Instruction& in : code_) {
    const int64_t field = facts.slot[in.slot];  // slot 0 when unused: valid
    switch (in.op) {
      case OpCode::kPush: stack[++top] = in.value; break;
      case OpCode::kLoad: stack[++top] = field; break;
      case OpCode::kNot: stack[top] = stack[top] == 0; break;
      case OpCode::kAnyBits:
        stack[top] = (static_cast<uint64_t>(stack[top]) &
                      static_cast<uint64_t>(in.value)) != 0;
        break;
      case OpCode::kIn: stack[top] = InList(in, stack[top]); break;
      case OpCode::kSlotEqual: stack[++top] = field == in.value; break;
      case OpCode::kSlotNotEqual: stack[++top] = field != in.value; break;
      case OpCode::kSlotLess: stack[++top] = field < in.value; break;
      case OpCode::kSlotLessEqual: stack[++top] = field <= in.value; break;
      case OpCode::kSlotGreater: stack[++top] = field > in.value; break;
      case OpCode::kSlotGreaterEqual: stack[++top] = field >= in.value; break;
      case OpCode::kSlotIn: stack[++top] = InList(in, field); break;
      case OpCode::kSlotAnyBits:
        stack[++top] = (static_cast<uint64_t>(field) &
                        static_cast<uint64_t>(in.value)) != 0;
        break;
      default: {  // binary operators: the right value is on top
        const int64_t right = stack[top--];
        int64_t& left = stack[top];
        switch (in.op) {
          case OpCode::kEqual: left = left == right; break;
          case OpCode::kNotEqual: left = left != right; break;
          case OpCode::kLess: left = left < right; break;
          case OpCode::kLessEqual: left = left <= right; break;
          case OpCode::kGreater: left = left > right; break;
          case OpCode::kGreaterEqual: left = left >= right; break;
          case OpCode::kAnd: left = left != 0 && right != 0; break;
          case OpCode::kOr: left = left != 0 || right != 0; break;
          default: assert(false && "unknown opcode");
        }
      }
    }
  }
  assert(code_.empty() || top == 0);
  return code_.empty() || stack[0] != 0;
}

}  // namespace loyalty::evaluator::internal

// Running compiled conditions, and the symbol table they were compiled with.
#include <cassert>
#include <cstdint>

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

// The compiler guarantees a well-formed program: every binary instruction
// finds two values, the stack never exceeds kMaxStackDepth, and the program
// leaves exactly one value (asserted in debug builds).
bool Condition::Evaluate(const Facts& facts) const {
  int64_t stack[kMaxStackDepth];
  int top = -1;  // index of the top value
  for (const Instruction& in : code_) {
    switch (in.op) {
      case OpCode::kPush:
        stack[++top] = in.value;
        break;
      case OpCode::kLoad:
        stack[++top] = facts.slot[in.slot];
        break;
      case OpCode::kNot:
        stack[top] = stack[top] == 0;
        break;
      case OpCode::kAnyBits:
        stack[top] = (static_cast<uint64_t>(stack[top]) &
                      static_cast<uint64_t>(in.value)) != 0;
        break;
      case OpCode::kIn: {
        const int64_t value = stack[top];
        const int64_t* list = constants_.data() + in.list_begin;
        bool found = false;
        for (uint16_t i = 0; i < in.list_size && !found; ++i) {
          found = list[i] == value;
        }
        stack[top] = found;
        break;
      }
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

// Compiles condition text (grammar in condition.h) into a Condition in one
// pass: a recursive-descent parser that emits postfix code as it goes, checks
// types on the way, and patches a text literal's value once the other side of
// its comparison tells what the text means (a weekday, a channel, an id).
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "engine/evaluator/condition.h"
#include "loyalty/v1/types.pb.h"

namespace loyalty::evaluator::internal {
namespace {

enum class Type : uint8_t {
  kInteger,
  kText,
  kBoolean,
  kDate,
  kWeekday,
  kChannel,
  kSegments
};

const char* TypeName(Type type) {
  switch (type) {
    case Type::kInteger: return "a whole number";
    case Type::kText: return "text";
    case Type::kBoolean: return "true/false";
    case Type::kDate: return "a date";
    case Type::kWeekday: return "a weekday";
    case Type::kChannel: return "a channel";
    case Type::kSegments: return "the segment list";
  }
  return "?";
}

struct FieldSpec {
  const char* name;
  Slot slot;
  Type type;
};

constexpr FieldSpec kFields[] = {
    {"subtotal", kSlotSubtotal, Type::kInteger},
    {"channel", kSlotChannel, Type::kChannel},
    {"store", kSlotStore, Type::kText},
    {"partner", kSlotPartner, Type::kText},
    {"weekday", kSlotWeekday, Type::kWeekday},
    {"hour", kSlotHour, Type::kInteger},
    {"date", kSlotDate, Type::kDate},
    {"tier", kSlotTier, Type::kText},
    {"segments", kSlotSegments, Type::kSegments},
    {"region", kSlotRegion, Type::kText},
    {"enrolled_days", kSlotEnrolledDays, Type::kInteger},
    {"birthday_this_week", kSlotBirthdayThisWeek, Type::kBoolean},
    {"birthday_this_month", kSlotBirthdayThisMonth, Type::kBoolean},
    {"purchases", kSlotPurchases, Type::kInteger},
    {"first_purchase", kSlotFirstPurchase, Type::kBoolean},
    {"rewards_redeemed", kSlotRewardsRedeemed, Type::kInteger},
    {"sku", kSlotSku, Type::kText},
    {"category", kSlotCategory, Type::kText},
    {"quantity", kSlotQuantity, Type::kInteger},
    {"price", kSlotPrice, Type::kInteger},
    {"amount", kSlotAmount, Type::kInteger},
};

constexpr const char* kWeekdayNames[] = {"monday", "tuesday", "wednesday",
                                         "thursday", "friday", "saturday",
                                         "sunday"};

// "sat", "Saturday" -> 6; nullopt for anything else.
std::optional<int64_t> ParseWeekday(absl::string_view text) {
  const std::string lower = absl::AsciiStrToLower(text);
  for (int i = 0; i < 7; ++i) {
    const absl::string_view name = kWeekdayNames[i];
    if (lower == name || (lower.size() == 3 && absl::StartsWith(name, lower))) {
      return i + 1;
    }
  }
  return std::nullopt;
}

// "2024-12-24" -> its day number; nullopt when not a real date.
std::optional<int64_t> ParseDate(absl::string_view text) {
  absl::CivilDay day;
  if (text.size() != 10 || !absl::ParseCivilTime(text, &day)) {
    return std::nullopt;
  }
  return DayNumber(day.year(), day.month(), day.day());
}

enum class Tok {
  kEnd, kIdent, kInteger, kText, kDate, kOp, kLParen, kRParen, kLBracket,
  kRBracket, kComma, kBad
};

struct Token {
  Tok kind = Tok::kEnd;
  absl::string_view text;  // for kText: without the quotes
  int column = 1;
  int64_t number = 0;
  std::string error;  // for kBad
};

bool IsIdentStart(char c) { return absl::ascii_isalpha(c) || c == '_'; }
bool IsIdentChar(char c) { return absl::ascii_isalnum(c) || c == '_'; }

}  // namespace

// Friend of Condition; everything it needs lives here.
class ConditionCompiler {
 public:
  ConditionCompiler(absl::string_view text, ConditionKind kind,
                    Symbols& symbols)
      : text_(text), kind_(kind), symbols_(symbols) {}

  absl::StatusOr<Condition> Run();

 private:
  // An operand or subexpression already emitted.
  struct Operand {
    Type type = Type::kBoolean;
    enum Kind { kField, kLiteral, kTextLiteral, kExpression } kind;
    size_t instruction = 0;  // its kPush or kLoad, for literals and fields
    std::string text;        // a text literal or field name, for messages
    int column = 1;
  };

  Token Lex();
  Token LexNumber(size_t start);
  Token LexText(size_t start);
  Token LexOperator(size_t start);
  void Advance() { token_ = Lex(); }
  bool IsWord(absl::string_view word) const {
    return token_.kind == Tok::kIdent && token_.text == word;
  }
  bool IsOp(absl::string_view op) const {
    return token_.kind == Tok::kOp && token_.text == op;
  }

  std::optional<Operand> ParseOr(int nesting);
  std::optional<Operand> ParseAnd(int nesting);
  std::optional<Operand> ParseNot(int nesting);
  std::optional<Operand> ParseCompare(int nesting);
  std::optional<Operand> ParseOperand(int nesting);
  std::optional<Operand> ParseField();
  std::optional<Operand> ParseIn(Operand left);
  std::optional<Operand> ParseInSegments(Operand left);
  std::optional<Operand> ParseInList(Operand left, int column);
  std::optional<Operand> Compare(Operand left, Operand right, OpCode op,
                                 int column);
  bool RequireBoolean(const Operand& operand, absl::string_view where);
  bool ResolveText(Operand& literal, Type target);
  std::optional<int64_t> LiteralValue(const Token& token, Type target);

  bool Emit(Instruction instruction, int stack_change);
  std::nullopt_t Fail(int column, std::string message);

  absl::string_view text_;
  ConditionKind kind_;
  Symbols& symbols_;
  size_t position_ = 0;
  Token token_;
  Condition condition_;
  int depth_ = 0;
  std::optional<std::pair<int, std::string>> error_;
};

std::nullopt_t ConditionCompiler::Fail(int column, std::string message) {
  if (!error_.has_value()) error_.emplace(column, std::move(message));
  return std::nullopt;
}

bool ConditionCompiler::Emit(Instruction instruction, int stack_change) {
  if (condition_.code_.size() >= kMaxInstructions) {
    Fail(token_.column, absl::StrCat("the condition is too long (more than ",
                                     kMaxInstructions, " steps)"));
    return false;
  }
  depth_ += stack_change;
  if (depth_ > kMaxStackDepth) {
    Fail(token_.column, "the condition nests too deeply");
    return false;
  }
  condition_.code_.push_back(instruction);
  return true;
}

// --- Lexer ---

Token ConditionCompiler::Lex() {
  while (position_ < text_.size() && absl::ascii_isspace(text_[position_])) {
    ++position_;
  }
  const size_t start = position_;
  Token token;
  token.column = static_cast<int>(start) + 1;
  if (start >= text_.size()) return token;
  const char c = text_[start];
  if (absl::ascii_isdigit(c) ||
      (c == '-' && start + 1 < text_.size() &&
       absl::ascii_isdigit(text_[start + 1]))) {
    return LexNumber(start);
  }
  if (c == '"' || c == '\'') return LexText(start);
  if (IsIdentStart(c)) {
    while (position_ < text_.size() && IsIdentChar(text_[position_])) {
      ++position_;
    }
    token.kind = Tok::kIdent;
    token.text = text_.substr(start, position_ - start);
    return token;
  }
  constexpr std::pair<char, Tok> kPunctuation[] = {
      {'(', Tok::kLParen}, {')', Tok::kRParen}, {'[', Tok::kLBracket},
      {']', Tok::kRBracket}, {',', Tok::kComma}};
  for (const auto& [symbol, kind] : kPunctuation) {
    if (c == symbol) {
      ++position_;
      token.kind = kind;
      token.text = text_.substr(start, 1);
      return token;
    }
  }
  return LexOperator(start);
}

Token ConditionCompiler::LexNumber(size_t start) {
  Token token;
  token.column = static_cast<int>(start) + 1;
  size_t end = start + 1;
  while (end < text_.size() &&
         (absl::ascii_isdigit(text_[end]) || text_[end] == '-')) {
    ++end;
  }
  position_ = end;
  token.text = text_.substr(start, end - start);
  if (token.text.size() == 10 && token.text[4] == '-' && token.text[0] != '-') {
    std::optional<int64_t> day = ParseDate(token.text);
    token.kind = day.has_value() ? Tok::kDate : Tok::kBad;
    token.number = day.value_or(0);
    token.error = absl::StrCat("'", token.text, "' is not a date");
    return token;
  }
  token.kind = absl::SimpleAtoi(token.text, &token.number) ? Tok::kInteger
                                                           : Tok::kBad;
  token.error = absl::StrCat("'", token.text,
                             "' is not a whole number that fits in 64 bits "
                             "(dates are written YYYY-MM-DD)");
  return token;
}

Token ConditionCompiler::LexText(size_t start) {
  Token token;
  token.column = static_cast<int>(start) + 1;
  const size_t close = text_.find(text_[start], start + 1);
  if (close == absl::string_view::npos) {
    position_ = text_.size();
    token.kind = Tok::kBad;
    token.error = "the text is missing its closing quote";
    return token;
  }
  position_ = close + 1;
  token.kind = Tok::kText;
  token.text = text_.substr(start + 1, close - start - 1);
  return token;
}

Token ConditionCompiler::LexOperator(size_t start) {
  Token token;
  token.column = static_cast<int>(start) + 1;
  constexpr absl::string_view kOperators[] = {"==", "!=", "<=", ">=", "&&",
                                              "||", "<",  ">",  "!"};
  const absl::string_view rest = text_.substr(start);
  for (absl::string_view op : kOperators) {
    if (absl::StartsWith(rest, op)) {
      position_ = start + op.size();
      token.kind = Tok::kOp;
      token.text = op;
      return token;
    }
  }
  position_ = start + 1;
  token.kind = Tok::kBad;
  token.error =
      rest[0] == '='
          ? std::string("use '==' to compare")
          : absl::StrCat("unexpected '", rest.substr(0, 1), "'");
  return token;
}

// --- Parser ---

bool ConditionCompiler::RequireBoolean(const Operand& operand,
                                       absl::string_view where) {
  if (operand.type == Type::kBoolean && operand.kind != Operand::kTextLiteral) {
    return true;
  }
  Fail(operand.column,
       absl::StrCat(where, " needs true/false, but '", operand.text, "' is ",
                    operand.kind == Operand::kTextLiteral
                        ? "text"
                        : TypeName(operand.type)));
  return false;
}

std::optional<ConditionCompiler::Operand> ConditionCompiler::ParseOr(
    int nesting) {
  std::optional<Operand> left = ParseAnd(nesting);
  while (left.has_value() && (IsOp("||") || IsWord("or"))) {
    Advance();
    std::optional<Operand> right = ParseAnd(nesting);
    if (!right.has_value() || !RequireBoolean(*left, "'or'") ||
        !RequireBoolean(*right, "'or'") ||
        !Emit({OpCode::kOr}, -1)) {
      return std::nullopt;
    }
    left->kind = Operand::kExpression;
  }
  return left;
}

std::optional<ConditionCompiler::Operand> ConditionCompiler::ParseAnd(
    int nesting) {
  std::optional<Operand> left = ParseNot(nesting);
  while (left.has_value() && (IsOp("&&") || IsWord("and"))) {
    Advance();
    std::optional<Operand> right = ParseNot(nesting);
    if (!right.has_value() || !RequireBoolean(*left, "'and'") ||
        !RequireBoolean(*right, "'and'") ||
        !Emit({OpCode::kAnd}, -1)) {
      return std::nullopt;
    }
    left->kind = Operand::kExpression;
  }
  return left;
}

std::optional<ConditionCompiler::Operand> ConditionCompiler::ParseNot(
    int nesting) {
  if (!IsOp("!") && !IsWord("not")) return ParseCompare(nesting);
  if (nesting >= kMaxNesting) {
    return Fail(token_.column, "the condition nests too deeply");
  }
  Advance();
  std::optional<Operand> operand = ParseNot(nesting + 1);
  if (!operand.has_value() || !RequireBoolean(*operand, "'not'") ||
      !Emit({OpCode::kNot}, 0)) {
    return std::nullopt;
  }
  operand->kind = Operand::kExpression;
  return operand;
}

std::optional<ConditionCompiler::Operand> ConditionCompiler::ParseCompare(
    int nesting) {
  constexpr std::pair<absl::string_view, OpCode> kComparisons[] = {
      {"==", OpCode::kEqual},     {"!=", OpCode::kNotEqual},
      {"<", OpCode::kLess},       {"<=", OpCode::kLessEqual},
      {">", OpCode::kGreater},    {">=", OpCode::kGreaterEqual}};
  std::optional<Operand> left = ParseOperand(nesting);
  if (!left.has_value()) return std::nullopt;
  if (IsWord("in")) return ParseIn(*std::move(left));
  for (const auto& [text, op] : kComparisons) {
    if (!IsOp(text)) continue;
    const int column = token_.column;
    Advance();
    std::optional<Operand> right = ParseOperand(nesting);
    if (!right.has_value()) return std::nullopt;
    return Compare(*std::move(left), *std::move(right), op, column);
  }
  return left;
}

std::optional<ConditionCompiler::Operand> ConditionCompiler::ParseOperand(
    int nesting) {
  const Token token = token_;
  Operand operand;
  operand.column = token.column;
  operand.text = std::string(token.text);
  operand.instruction = condition_.code_.size();
  switch (token.kind) {
    case Tok::kLParen: {
      if (nesting >= kMaxNesting) {
        return Fail(token.column, "the condition nests too deeply");
      }
      Advance();
      std::optional<Operand> inner = ParseOr(nesting + 1);
      if (!inner.has_value()) return std::nullopt;
      if (token_.kind != Tok::kRParen) {
        return Fail(token_.column, "expected ')'");
      }
      Advance();
      inner->kind = Operand::kExpression;
      return inner;
    }
    case Tok::kIdent:
      if (token.text == "true" || token.text == "false") {
        operand.kind = Operand::kLiteral;
        operand.type = Type::kBoolean;
        if (!Emit({OpCode::kPush, 0, 0, 0, token.text == "true"}, 1)) {
          return std::nullopt;
        }
        Advance();
        return operand;
      }
      return ParseField();
    case Tok::kInteger:
    case Tok::kDate:
      operand.kind = Operand::kLiteral;
      operand.type = token.kind == Tok::kDate ? Type::kDate : Type::kInteger;
      if (!Emit({OpCode::kPush, 0, 0, 0, token.number}, 1)) return std::nullopt;
      Advance();
      return operand;
    case Tok::kText:
      operand.kind = Operand::kTextLiteral;
      operand.type = Type::kText;
      if (!Emit({OpCode::kPush}, 1)) return std::nullopt;  // value patched
      Advance();
      return operand;
    case Tok::kBad:
      return Fail(token.column, token.error);
    case Tok::kEnd:
      return Fail(token.column, "the condition ends where a value was expected");
    default:
      return Fail(token.column, absl::StrCat("expected a field or a value, got '",
                                             token.text, "'"));
  }
}

std::optional<ConditionCompiler::Operand> ConditionCompiler::ParseField() {
  const Token token = token_;
  for (const FieldSpec& field : kFields) {
    if (token.text != field.name) continue;
    if (field.slot >= kFirstLineSlot && kind_ == ConditionKind::kPurchase) {
      return Fail(token.column,
                  absl::StrCat("'", field.name,
                               "' is a line field; use it in the effect's "
                               "'lines:' condition"));
    }
    Operand operand;
    operand.kind = Operand::kField;
    operand.type = field.type;
    operand.text = field.name;
    operand.column = token.column;
    operand.instruction = condition_.code_.size();
    if (!Emit({OpCode::kLoad, field.slot}, 1)) return std::nullopt;
    Advance();
    return operand;
  }
  std::string names;
  for (const FieldSpec& field : kFields) {
    if (field.slot >= kFirstLineSlot && kind_ == ConditionKind::kPurchase) {
      continue;
    }
    absl::StrAppend(&names, names.empty() ? "" : ", ", field.name);
  }
  return Fail(token.column, absl::StrCat("unknown field '", token.text,
                                         "'; fields: ", names));
}


// --- Types ---

namespace {

// Converts text to a value of `target`; nullopt when it is not one.
std::optional<int64_t> TextAs(absl::string_view text, Type target,
                              Symbols& symbols) {
  switch (target) {
    case Type::kText:
      return symbols.Intern(text);
    case Type::kWeekday:
      return ParseWeekday(text);
    case Type::kDate:
      return ParseDate(text);
    case Type::kChannel:
      if (absl::EqualsIgnoreCase(text, "pos")) return loyalty::v1::CHANNEL_POS;
      if (absl::EqualsIgnoreCase(text, "eshop")) {
        return loyalty::v1::CHANNEL_ESHOP;
      }
      return std::nullopt;
    default:
      return std::nullopt;
  }
}

const char* TextHint(Type target) {
  switch (target) {
    case Type::kWeekday: return " (mon, tue, wed, thu, fri, sat, sun)";
    case Type::kChannel: return " (pos, eshop)";
    case Type::kDate: return " (YYYY-MM-DD)";
    default: return "";
  }
}

bool IsOrdering(OpCode op) {
  return op != OpCode::kEqual && op != OpCode::kNotEqual;
}

}  // namespace

bool ConditionCompiler::ResolveText(Operand& literal, Type target) {
  std::optional<int64_t> value = TextAs(literal.text, target, symbols_);
  if (!value.has_value()) {
    Fail(literal.column, absl::StrCat("\"", literal.text, "\" is not ",
                                      TypeName(target), TextHint(target)));
    return false;
  }
  condition_.code_[literal.instruction].value = *value;
  literal.type = target;
  literal.kind = Operand::kLiteral;
  return true;
}


std::optional<ConditionCompiler::Operand> ConditionCompiler::Compare(
    Operand left, Operand right, OpCode op, int column) {
  const bool left_fixed = left.kind == Operand::kLiteral ||
                          left.kind == Operand::kTextLiteral;
  const bool right_fixed = right.kind == Operand::kLiteral ||
                           right.kind == Operand::kTextLiteral;
  if (left_fixed && right_fixed) {
    return Fail(left.column, "compares two fixed values; one side must be a "
                             "field");
  }
  if (left.type == Type::kSegments || right.type == Type::kSegments) {
    return Fail(left.column, "test segments with: \"name\" in segments");
  }
  if (left.kind == Operand::kTextLiteral && !ResolveText(left, right.type)) {
    return std::nullopt;
  }
  if (right.kind == Operand::kTextLiteral && !ResolveText(right, left.type)) {
    return std::nullopt;
  }
  if (left.type != right.type) {
    return Fail(right.column,
                absl::StrCat("cannot compare '", left.text, "' (",
                             TypeName(left.type), ") with '", right.text,
                             "' (", TypeName(right.type), ")"));
  }
  if (left.type == Type::kText && !left_fixed && !right_fixed) {
    return Fail(right.column, "compare a text field with a fixed text, not "
                              "with another field");
  }
  if (IsOrdering(op) && left.type != Type::kInteger &&
      left.type != Type::kDate && left.type != Type::kWeekday) {
    return Fail(column, absl::StrCat(TypeName(left.type),
                                     " can only be compared with == or !="));
  }
  if (!Emit({op}, -1)) return std::nullopt;
  Operand result;
  result.kind = Operand::kExpression;
  result.type = Type::kBoolean;
  result.text = absl::StrCat(left.text, " ... ", right.text);
  result.column = left.column;
  return result;
}

std::optional<int64_t> ConditionCompiler::LiteralValue(const Token& token,
                                                       Type target) {
  std::optional<int64_t> value;
  Type given = target;
  switch (token.kind) {
    case Tok::kText:
      value = TextAs(token.text, target, symbols_);
      break;
    case Tok::kInteger:
      given = Type::kInteger;
      value = token.number;
      break;
    case Tok::kDate:
      given = Type::kDate;
      value = token.number;
      break;
    case Tok::kIdent:
      if (token.text == "true" || token.text == "false") {
        given = Type::kBoolean;
        value = token.text == "true";
      }
      break;
    case Tok::kBad:
      return Fail(token.column, token.error);
    default:
      break;
  }
  if (!value.has_value() || given != target) {
    return Fail(token.column, absl::StrCat("'", token.text, "' is not ",
                                           TypeName(target), TextHint(target)));
  }
  return value;
}

std::optional<ConditionCompiler::Operand> ConditionCompiler::ParseIn(
    Operand left) {
  const int column = token_.column;
  Advance();  // "in"
  if (IsWord("segments")) return ParseInSegments(std::move(left));
  if (token_.kind != Tok::kLBracket) {
    return Fail(token_.column, "expected '[' or 'segments' after 'in'");
  }
  if (left.kind == Operand::kTextLiteral || left.kind == Operand::kLiteral) {
    return Fail(left.column, "the left side of 'in [..]' must be a field");
  }
  if (left.type == Type::kBoolean) {
    return Fail(left.column, "use == with true/false, not 'in'");
  }
  return ParseInList(std::move(left), column);
}

std::optional<ConditionCompiler::Operand> ConditionCompiler::ParseInSegments(
    Operand left) {
  if (left.kind != Operand::kTextLiteral) {
    return Fail(left.column, "write a segment name in quotes before "
                             "'in segments', e.g. \"students\" in segments");
  }
  const int bit = symbols_.SegmentBit(left.text);
  if (bit < 0) {
    return Fail(left.column, absl::StrCat("a rule set may name at most ",
                                          kMaxSegmentNames, " segments"));
  }
  condition_.code_[left.instruction] = {OpCode::kLoad, kSlotSegments};
  if (!Emit({OpCode::kAnyBits, 0, 0, 0, int64_t(uint64_t{1} << bit)}, 0)) {
    return std::nullopt;
  }
  Advance();  // "segments"
  left.kind = Operand::kExpression;
  left.type = Type::kBoolean;
  return left;
}

std::optional<ConditionCompiler::Operand> ConditionCompiler::ParseInList(
    Operand left, int column) {
  constexpr size_t kMaxListSize = 256;
  const size_t begin = condition_.constants_.size();
  uint64_t segment_mask = 0;
  do {
    Advance();  // "[" or ","
    if (condition_.constants_.size() - begin >= kMaxListSize) {
      return Fail(token_.column, absl::StrCat("a list may hold at most ",
                                              kMaxListSize, " values"));
    }
    if (left.type == Type::kSegments) {
      if (token_.kind != Tok::kText) {
        return Fail(token_.column, "segment names are written in quotes");
      }
      const int bit = symbols_.SegmentBit(token_.text);
      if (bit < 0) {
        return Fail(token_.column, absl::StrCat("a rule set may name at most ",
                                                kMaxSegmentNames, " segments"));
      }
      segment_mask |= uint64_t{1} << bit;
      condition_.constants_.push_back(bit);
    } else {
      std::optional<int64_t> value = LiteralValue(token_, left.type);
      if (!value.has_value()) return std::nullopt;
      condition_.constants_.push_back(*value);
    }
    Advance();
  } while (token_.kind == Tok::kComma);
  if (token_.kind != Tok::kRBracket) {
    return Fail(token_.column, "expected ',' or ']' in the list");
  }
  Advance();
  Instruction instruction{OpCode::kIn};
  if (left.type == Type::kSegments) {
    condition_.constants_.resize(begin);  // the mask says it all
    instruction = {OpCode::kAnyBits, 0, 0, 0, int64_t(segment_mask)};
  } else {
    instruction.list_begin = static_cast<uint32_t>(begin);
    instruction.list_size =
        static_cast<uint16_t>(condition_.constants_.size() - begin);
  }
  if (!Emit(instruction, 0)) return std::nullopt;
  Operand result;
  result.kind = Operand::kExpression;
  result.type = Type::kBoolean;
  result.text = absl::StrCat(left.text, " in [..]");
  result.column = column;
  return result;
}

absl::StatusOr<Condition> ConditionCompiler::Run() {
  if (text_.size() > kMaxConditionLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("column 1: a condition may have at most ",
                     kMaxConditionLength, " characters, got ", text_.size()));
  }
  Advance();
  if (token_.kind != Tok::kEnd) {
    std::optional<Operand> result = ParseOr(0);
    if (result.has_value() && token_.kind != Tok::kEnd) {
      Fail(token_.column,
           token_.kind == Tok::kBad
               ? token_.error
               : absl::StrCat("unexpected '", token_.text,
                              "'; join conditions with 'and' / 'or'"));
    }
    if (result.has_value() && !error_.has_value()) {
      RequireBoolean(*result, "a condition");
    }
  }
  if (error_.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("column ", error_->first, ": ", error_->second));
  }
  condition_.Fuse();  // after parsing: literals are patched by position
  return std::move(condition_);
}

absl::StatusOr<Condition> Condition::Compile(absl::string_view text,
                                             ConditionKind kind,
                                             Symbols& symbols) {
  return ConditionCompiler(text, kind, symbols).Run();
}

}  // namespace loyalty::evaluator::internal

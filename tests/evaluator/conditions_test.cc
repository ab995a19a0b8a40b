// The condition language: compiled once, evaluated against slot values.
// Type errors are compile errors with a column.
#include <string>

#include "absl/status/statusor.h"
#include "engine/evaluator/condition.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "loyalty/v1/types.pb.h"

namespace loyalty::evaluator::internal {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class ConditionTest : public ::testing::Test {
 protected:
  ConditionTest() {
    // A purchase on Saturday 2025-06-14 at 10:00, 25.00 EUR at the POS of
    // store "berlin-1", by a gold member in segments "students" and "vip".
    facts_.slot[kSlotSubtotal] = 2500;
    facts_.slot[kSlotChannel] = loyalty::v1::CHANNEL_POS;
    facts_.slot[kSlotWeekday] = 6;
    facts_.slot[kSlotHour] = 10;
    facts_.slot[kSlotDate] = DayNumber(2025, 6, 14);
    facts_.slot[kSlotPurchases] = 4;
    facts_.slot[kSlotFirstPurchase] = 0;
    facts_.slot[kSlotBirthdayThisMonth] = 1;
    facts_.slot[kSlotQuantity] = 3;
    facts_.slot[kSlotPrice] = 450;
  }

  // Compiles `text`, then sets the texts the facts refer to (interned ids
  // exist only once a condition mentions them).
  bool Holds(const std::string& text,
             ConditionKind kind = ConditionKind::kLine) {
    absl::StatusOr<Condition> condition = Condition::Compile(text, kind, symbols_);
    EXPECT_TRUE(condition.ok()) << text << ": " << condition.status();
    if (!condition.ok()) return false;
    facts_.slot[kSlotTier] = symbols_.Find("gold");
    facts_.slot[kSlotStore] = symbols_.Find("berlin-1");
    facts_.slot[kSlotCategory] = symbols_.Find("beans");
    const std::string segments[] = {"students", "vip"};
    facts_.slot[kSlotSegments] = static_cast<int64_t>(symbols_.SegmentMask(segments));
    return condition->Evaluate(facts_);
  }

  std::string Error(const std::string& text,
                    ConditionKind kind = ConditionKind::kPurchase) {
    absl::StatusOr<Condition> condition = Condition::Compile(text, kind, symbols_);
    EXPECT_FALSE(condition.ok()) << text;
    return condition.ok() ? "" : std::string(condition.status().message());
  }

  Symbols symbols_;
  Facts facts_;
};

TEST_F(ConditionTest, EmptyConditionAlwaysHolds) {
  EXPECT_TRUE(Holds(""));
  EXPECT_TRUE(Holds("   "));
}

TEST_F(ConditionTest, ComparesNumbers) {
  EXPECT_TRUE(Holds("subtotal >= 2500"));
  EXPECT_FALSE(Holds("subtotal > 2500"));
  EXPECT_TRUE(Holds("subtotal == 2500"));
  EXPECT_TRUE(Holds("subtotal != 2499"));
  EXPECT_TRUE(Holds("subtotal < 2501 && subtotal <= 2500"));
  EXPECT_TRUE(Holds("2000 < subtotal"));  // a value on the left works too
  EXPECT_TRUE(Holds("purchases > -1"));
}

TEST_F(ConditionTest, ComparesTextsChannelsWeekdaysAndDates) {
  EXPECT_TRUE(Holds("tier == \"gold\""));
  EXPECT_TRUE(Holds("tier != 'silver'"));
  EXPECT_FALSE(Holds("store == \"paris-2\""));
  EXPECT_TRUE(Holds("channel == \"pos\""));
  EXPECT_FALSE(Holds("channel == \"eshop\""));
  EXPECT_TRUE(Holds("weekday == \"sat\""));
  EXPECT_TRUE(Holds("weekday >= \"Friday\""));
  EXPECT_TRUE(Holds("weekday in [\"sat\", \"sun\"]"));
  EXPECT_TRUE(Holds("date >= 2025-06-01 and date <= 2025-06-30"));
  EXPECT_FALSE(Holds("date < 2025-06-14"));
  EXPECT_TRUE(Holds("date == \"2025-06-14\""));
  EXPECT_TRUE(Holds("hour >= 7 and hour < 11"));
}

TEST_F(ConditionTest, BooleansNotAndPrecedence) {
  EXPECT_TRUE(Holds("!first_purchase"));
  EXPECT_TRUE(Holds("not first_purchase"));
  EXPECT_TRUE(Holds("birthday_this_month"));
  EXPECT_TRUE(Holds("birthday_this_month == true"));
  EXPECT_FALSE(Holds("birthday_this_week"));
  // "and" binds tighter than "or".
  EXPECT_TRUE(Holds("subtotal > 9999 and tier == 'x' or hour == 10"));
  EXPECT_FALSE(Holds("subtotal > 9999 and (tier == 'x' or hour == 10)"));
  // "not" applies to the whole comparison.
  EXPECT_TRUE(Holds("not subtotal > 9999"));
  EXPECT_TRUE(Holds("!(subtotal > 9999 || first_purchase)"));
  EXPECT_TRUE(Holds("not not birthday_this_month"));
}

TEST_F(ConditionTest, InListsAndSegments) {
  EXPECT_TRUE(Holds("tier in [\"silver\", \"gold\"]"));
  EXPECT_FALSE(Holds("tier in [\"silver\"]"));
  EXPECT_TRUE(Holds("hour in [9, 10, 11]"));
  EXPECT_TRUE(Holds("\"vip\" in segments"));
  EXPECT_FALSE(Holds("\"staff\" in segments"));
  EXPECT_TRUE(Holds("segments in [\"staff\", \"students\"]"));
  EXPECT_FALSE(Holds("segments in [\"staff\"]"));
  EXPECT_TRUE(Holds("not \"staff\" in segments"));
}

// Compiling folds "field op value", "value op field", "not field" and
// "field in [..]" into one step each; every form keeps its meaning at and
// around the boundary, alone and inside larger conditions.
TEST_F(ConditionTest, FoldedStepsKeepTheirMeaning) {
  for (int64_t subtotal : {2499, 2500, 2501}) {
    SCOPED_TRACE(subtotal);
    facts_.slot[kSlotSubtotal] = subtotal;
    EXPECT_EQ(Holds("subtotal < 2500"), subtotal < 2500);
    EXPECT_EQ(Holds("subtotal <= 2500"), subtotal <= 2500);
    EXPECT_EQ(Holds("subtotal > 2500"), subtotal > 2500);
    EXPECT_EQ(Holds("subtotal >= 2500"), subtotal >= 2500);
    EXPECT_EQ(Holds("2500 < subtotal"), subtotal > 2500);
    EXPECT_EQ(Holds("2500 <= subtotal"), subtotal >= 2500);
    EXPECT_EQ(Holds("2500 > subtotal"), subtotal < 2500);
    EXPECT_EQ(Holds("2500 >= subtotal"), subtotal <= 2500);
    EXPECT_EQ(Holds("2500 == subtotal"), subtotal == 2500);
    EXPECT_EQ(Holds("2500 != subtotal"), subtotal != 2500);
    EXPECT_EQ(Holds("hour == 10 and 2500 <= subtotal and not first_purchase"),
              subtotal >= 2500);
    EXPECT_EQ(Holds("not (subtotal in [2499, 2501]) or first_purchase"),
              subtotal == 2500);
  }
  facts_.slot[kSlotFirstPurchase] = 1;
  EXPECT_FALSE(Holds("not first_purchase"));
  EXPECT_TRUE(Holds("not not first_purchase"));
  EXPECT_TRUE(
      Holds("first_purchase and \"vip\" in segments and 3 <= quantity"));
  EXPECT_FALSE(Holds("first_purchase and not \"vip\" in segments"));
}

TEST_F(ConditionTest, LineFields) {
  EXPECT_TRUE(Holds("category == \"beans\" and quantity >= 3"));
  EXPECT_TRUE(Holds("price < 500 and sku != 'GIFT'"));
  EXPECT_TRUE(Holds("category in ['beans', 'tea'] and subtotal > 0"));
}

TEST_F(ConditionTest, UnknownTextsMatchNothing) {
  // A member tier no condition names gets an id equal to no literal.
  absl::StatusOr<Condition> condition =
      Condition::Compile("tier != \"gold\"", ConditionKind::kPurchase, symbols_);
  ASSERT_TRUE(condition.ok());
  facts_.slot[kSlotTier] = kUnknownText;
  EXPECT_TRUE(condition->Evaluate(facts_));
}

TEST_F(ConditionTest, TypeErrorsNameTheColumn) {
  EXPECT_EQ(Error("subtotal >= \"much\""),
            "column 13: \"much\" is not a whole number");
  EXPECT_EQ(Error("tier > \"gold\""),
            "column 6: text can only be compared with == or !=");
  EXPECT_EQ(Error("channel == \"phone\""),
            "column 12: \"phone\" is not a channel (pos, eshop)");
  EXPECT_EQ(Error("weekday == \"someday\""),
            "column 12: \"someday\" is not a weekday (mon, tue, wed, thu, fri, "
            "sat, sun)");
  EXPECT_EQ(Error("subtotal > 10 and tier"),
            "column 19: 'and' needs true/false, but 'tier' is text");
  EXPECT_EQ(Error("subtotal"),
            "column 1: a condition needs true/false, but 'subtotal' is a whole "
            "number");
  EXPECT_EQ(Error("date > 2025-02-30"), "column 8: '2025-02-30' is not a date");
  EXPECT_EQ(Error("first_purchase == 1"),
            "column 19: cannot compare 'first_purchase' (true/false) with '1' "
            "(a whole number)");
  EXPECT_EQ(Error("tier == region"),
            "column 9: compare a text field with a fixed text, not with "
            "another field");
  EXPECT_EQ(Error("1 == 1"),
            "column 1: compares two fixed values; one side must be a field");
  EXPECT_EQ(Error("hour in [1, \"two\"]"),
            "column 13: 'two' is not a whole number");
  EXPECT_EQ(Error("segments == \"vip\""),
            "column 1: test segments with: \"name\" in segments");
  EXPECT_EQ(Error("tier in segments"),
            "column 1: write a segment name in quotes before 'in segments', "
            "e.g. \"students\" in segments");
}

TEST_F(ConditionTest, SyntaxErrorsNameTheColumn) {
  EXPECT_THAT(Error("subtotl > 5"),
              StartsWith("column 1: unknown field 'subtotl'; fields: subtotal, "
                         "channel,"));
  EXPECT_EQ(Error("subtotal = 5"), "column 10: use '==' to compare");
  EXPECT_EQ(Error("(subtotal > 5"), "column 14: expected ')'");
  EXPECT_EQ(Error("subtotal >"),
            "column 11: the condition ends where a value was expected");
  EXPECT_EQ(Error("tier == \"gold"),
            "column 9: the text is missing its closing quote");
  EXPECT_EQ(Error("subtotal > 5 tier == 'x'"),
            "column 14: unexpected 'tier'; join conditions with 'and' / 'or'");
  EXPECT_EQ(Error("hour in [1, 2"), "column 14: expected ',' or ']' in the list");
  EXPECT_EQ(Error("hour in 5"), "column 9: expected '[' or 'segments' after 'in'");
  EXPECT_EQ(Error("subtotal > 99999999999999999999"),
            "column 12: '99999999999999999999' is not a whole number that fits "
            "in 64 bits (dates are written YYYY-MM-DD)");
  EXPECT_EQ(Error("subtotal > 5 $"), "column 14: unexpected '$'");
}

TEST_F(ConditionTest, LineFieldsOnlyInLineConditions) {
  EXPECT_EQ(Error("sku == \"X\""),
            "column 1: 'sku' is a line field; use it in the effect's 'lines:' "
            "condition");
}

TEST_F(ConditionTest, BoundsOnNestingAndLength) {
  std::string deep(30, '(');
  deep += "first_purchase" + std::string(30, ')');
  EXPECT_THAT(Error(deep), HasSubstr("the condition nests too deeply"));
  std::string nots;
  for (int i = 0; i < 30; ++i) nots += "not ";
  EXPECT_THAT(Error(nots + "first_purchase"),
              HasSubstr("the condition nests too deeply"));
  std::string wide = "hour == 1";
  for (int i = 0; i < 300; ++i) wide += " or hour == 1";
  EXPECT_THAT(Error(wide), HasSubstr("column 1: a condition may have at most "
                                     "2000 characters"));
  // Within bounds: 20 levels of parentheses are fine.
  EXPECT_TRUE(Holds(std::string(20, '(') + "not first_purchase" +
                    std::string(20, ')')));
}

TEST_F(ConditionTest, ALongFlatConditionIsFine) {
  // 100 alternatives: the stack never holds more than two values.
  std::string text = "hour == 0";
  for (int i = 1; i < 100; ++i) text += " or hour == " + std::to_string(i % 24);
  EXPECT_TRUE(Holds(text));
}

}  // namespace
}  // namespace loyalty::evaluator::internal

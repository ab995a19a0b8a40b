// Rule files: YAML -> RuleSet, and every problem reported as file:line.
#include "engine/evaluator/rule_file.h"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "engine/base/error.h"
#include "engine/evaluator/evaluator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace loyalty::evaluator {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;
using ::testing::Not;

// A good file; the line numbers in the tests below refer to it.
constexpr char kGood[] =
    "program:\n"                                // 1
    "  id: shop\n"                              // 2
    "  currency: EUR\n"                         // 3
    "  point_value_minor: 1\n"                  // 4
    "earn:\n"                                   // 5
    "  points: 1\n"                             // 6
    "  per_minor: 100\n"                        // 7
    "  rounding: down\n"                        // 8
    "  cashback_basis_points: 0\n"              // 9
    "burn:\n"                                   // 10
    "  max_basket_share_percent: 50\n"          // 11
    "  earned_points_pay_same_order: false\n";  // 12

// kGood with one text replaced; the replaced text must be there.
std::string GoodWith(const std::string& from, const std::string& to) {
  std::string text = kGood;
  EXPECT_NE(text.find(from), std::string::npos) << from;
  return absl::StrReplaceAll(text, {{from, to}});
}

std::string ReadSourceFile(const std::string& relative_path) {
  std::ifstream in(std::string(LOYALTY_SOURCE_DIR) + "/" + relative_path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(RuleFileTest, GoodFileParses) {
  absl::StatusOr<loyalty::v1::RuleSet> rules =
      ParseRuleFile("shop.yaml", kGood);
  ASSERT_TRUE(rules.ok()) << rules.status();
  EXPECT_EQ(rules->program().program_id(), "shop");
  EXPECT_EQ(rules->program().currency(), "EUR");
  EXPECT_EQ(rules->program().point_value_minor(), 1);
  EXPECT_EQ(rules->earn().points(), 1);
  EXPECT_EQ(rules->earn().per_minor(), 100);
  EXPECT_EQ(rules->earn().rounding(), loyalty::v1::ROUNDING_DOWN);
  EXPECT_EQ(rules->earn().cashback_basis_points(), 0);
  EXPECT_EQ(rules->burn().max_basket_share_percent(), 50);
  EXPECT_FALSE(rules->burn().earned_points_pay_same_order());
  EXPECT_EQ(rules->source_name(), "shop.yaml");
  EXPECT_THAT(rules->version(), MatchesRegex("[0-9a-f]{16}"));
  EXPECT_THAT(ValidateRuleFile("shop.yaml", kGood), IsEmpty());
}

TEST(RuleFileTest, DefaultFileLoadsWithDocumentedValues) {
  const std::string text = ReadSourceFile("rules/default.yaml");
  ASSERT_FALSE(text.empty())
      << "rules/default.yaml not found under " << LOYALTY_SOURCE_DIR;
  EXPECT_THAT(ValidateRuleFile("rules/default.yaml", text), IsEmpty());
  absl::StatusOr<loyalty::v1::RuleSet> rules =
      ParseRuleFile("rules/default.yaml", text);
  ASSERT_TRUE(rules.ok()) << rules.status();
  EXPECT_EQ(rules->program().program_id(), "default");
  EXPECT_EQ(rules->program().currency(), "EUR");
  EXPECT_EQ(rules->program().point_value_minor(), 1);
  EXPECT_EQ(rules->earn().points(), 1);
  EXPECT_EQ(rules->earn().per_minor(), 100);
  EXPECT_EQ(rules->earn().rounding(), loyalty::v1::ROUNDING_DOWN);
  EXPECT_EQ(rules->earn().cashback_basis_points(), 0);
  EXPECT_EQ(rules->burn().max_basket_share_percent(), 50);
  EXPECT_FALSE(rules->burn().earned_points_pay_same_order());
  absl::StatusOr<std::shared_ptr<const CompiledRules>> compiled =
      CompiledRules::Compile(*rules);
  ASSERT_TRUE(compiled.ok()) << compiled.status();
  EXPECT_EQ((*compiled)->version(), rules->version());
}

TEST(RuleFileTest, CashbackIsOptionalAndOtherRoundingsParse) {
  std::string text = GoodWith("  cashback_basis_points: 0\n", "");
  text = absl::StrReplaceAll(text, {{"rounding: down", "rounding: half_even"}});
  absl::StatusOr<loyalty::v1::RuleSet> rules = ParseRuleFile("shop.yaml", text);
  ASSERT_TRUE(rules.ok()) << rules.status();
  EXPECT_EQ(rules->earn().cashback_basis_points(), 0);
  EXPECT_EQ(rules->earn().rounding(), loyalty::v1::ROUNDING_HALF_EVEN);
  for (const auto& [name, mode] :
       {std::pair{"half_up", loyalty::v1::ROUNDING_HALF_UP},
        std::pair{"up", loyalty::v1::ROUNDING_UP}}) {
    absl::StatusOr<loyalty::v1::RuleSet> other = ParseRuleFile(
        "shop.yaml",
        GoodWith("rounding: down", std::string("rounding: ") + name));
    ASSERT_TRUE(other.ok()) << other.status();
    EXPECT_EQ(other->earn().rounding(), mode);
  }
}

// The example in rules/README.md, kept honest.
TEST(RuleFileTest, ReadmeExampleReportsEveryProblemWithItsLine) {
  const std::string text =
      "program:\n"
      "  id: default\n"
      "  currency: eur\n"
      "  point_value_minor: 1\n"
      "earn:\n"
      "  points: ten\n"
      "  per_minr: 100\n"
      "  rounding: down\n"
      "burn:\n"
      "  max_basket_share_percent: 150\n"
      "  earned_points_pay_same_order: false\n";
  EXPECT_THAT(
      ValidateRuleFile("shop.yaml", text),
      ElementsAre("shop.yaml:3: program.currency: must be a 3-letter "
                  "upper-case ISO 4217 code such as "
                  "EUR, got 'eur'",
                  "shop.yaml:5: earn: missing key 'per_minor' (required)",
                  "shop.yaml:6: earn.points: must be a whole number, got 'ten'",
                  "shop.yaml:7: earn: unknown key 'per_minr'; allowed keys: "
                  "points, per_minor, "
                  "rounding, cashback_basis_points",
                  "shop.yaml:10: burn.max_basket_share_percent: must be "
                  "between 0 and 100, got 150"));
}

TEST(RuleFileTest, ParseErrorCarriesEveryProblem) {
  std::string text = GoodWith("per_minor: 100", "per_minor: 0");
  text = absl::StrReplaceAll(text, {{"currency: EUR", "currency: EURO"}});
  absl::StatusOr<loyalty::v1::RuleSet> rules = ParseRuleFile("shop.yaml", text);
  ASSERT_FALSE(rules.ok());
  EXPECT_EQ(rules.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ErrorReason(rules.status()), "INVALID_RULES");
  EXPECT_EQ(ErrorField(rules.status()), "");
  EXPECT_EQ(rules.status().message(),
            "INVALID_RULES: "
            "shop.yaml:3: program.currency: must be a 3-letter upper-case ISO "
            "4217 code such "
            "as EUR, got 'EURO'\n"
            "shop.yaml:7: earn.per_minor: must be greater than 0, got 0");
}

struct ProblemCase {
  std::string name;
  std::string from;
  std::string to;
  std::string problem;  // the one expected problem
};

void PrintTo(const ProblemCase& c, std::ostream* os) { *os << c.name; }

class RuleFileProblemTest : public ::testing::TestWithParam<ProblemCase> {};

TEST_P(RuleFileProblemTest, ReportsOneProblemAtItsLine) {
  const ProblemCase& c = GetParam();
  EXPECT_THAT(ValidateRuleFile("shop.yaml", GoodWith(c.from, c.to)),
              ElementsAre(c.problem));
}

INSTANTIATE_TEST_SUITE_P(
    RuleFileProblems, RuleFileProblemTest,
    ::testing::Values(
        // Wrong types.
        ProblemCase{"QuotedNumber", "per_minor: 100", "per_minor: \"100\"",
                    "shop.yaml:7: earn.per_minor: must be a whole number, got "
                    "the text \"100\" "
                    "(remove the quotes)"},
        ProblemCase{
            "Fraction", "per_minor: 100", "per_minor: 1.5",
            "shop.yaml:7: earn.per_minor: must be a whole number, got '1.5' "
            "(this key is in minor units: write 150 for 1.50 EUR)"},
        ProblemCase{
            "List", "points: 1", "points: [1, 2]",
            "shop.yaml:6: earn.points: must be a whole number, got a list"},
        ProblemCase{
            "NoValue", "points: 1", "points:",
            "shop.yaml:6: earn.points: has no value; expected a whole number"},
        ProblemCase{"TooLarge", "per_minor: 100",
                    "per_minor: 9223372036854775808",
                    "shop.yaml:7: earn.per_minor: is too large: "
                    "9223372036854775808 does not "
                    "fit in a 64-bit whole number"},
        ProblemCase{"YesIsNotABoolean", "same_order: false", "same_order: no",
                    "shop.yaml:12: burn.earned_points_pay_same_order: must be "
                    "true or false, "
                    "got 'no'"},
        ProblemCase{"UnknownRounding", "rounding: down", "rounding: nearest",
                    "shop.yaml:8: earn.rounding: must be one of down, half_up, "
                    "half_even, up, "
                    "got 'nearest'"},
        ProblemCase{"CurrencyMap", "currency: EUR", "currency: {code: EUR}",
                    "shop.yaml:3: program.currency: must be text, got a map"},
        ProblemCase{
            "SectionNotAMap",
            "burn:\n  max_basket_share_percent: 50\n"
            "  earned_points_pay_same_order: false\n",
            "burn: 50\n",
            "shop.yaml:10: burn: must hold the keys max_basket_share_percent, "
            "earned_points_pay_same_order, got '50'"},
        // Keys.
        ProblemCase{"UnknownKey", "  points: 1\n", "  points: 1\n  bonus: 5\n",
                    "shop.yaml:7: earn: unknown key 'bonus'; allowed keys: "
                    "points, per_minor, "
                    "rounding, cashback_basis_points"},
        ProblemCase{"UnknownSection", "burn:", "campaigns: []\nburn:",
                    "shop.yaml:10: unknown section 'campaigns'; allowed "
                    "sections: program, "
                    "earn, burn, rules, promo_codes, exclusions, refund, "
                    "adjustment_reasons, feedback_reasons, points, tiers, "
                    "rewards, birthday, referral"},
        ProblemCase{
            "DuplicateKey", "  points: 1\n", "  points: 1\n  points: 2\n",
            "shop.yaml:7: earn: duplicate key 'points' (first set on line 6)"},
        ProblemCase{
            "MissingKey", "  point_value_minor: 1\n", "",
            "shop.yaml:1: program: missing key 'point_value_minor' (required)"},
        ProblemCase{"MissingSection",
                    "burn:\n  max_basket_share_percent: 50\n"
                    "  earned_points_pay_same_order: false\n",
                    "", "shop.yaml:1: missing section 'burn' (required)"},
        // Ranges.
        ProblemCase{"EmptyId", "id: shop", "id: \"\"",
                    "shop.yaml:2: program.id: must not be empty"},
        ProblemCase{"IdWithSpace", "id: shop", "id: my shop",
                    "shop.yaml:2: program.id: may hold only letters, digits, "
                    "'_', '.' and '-', "
                    "got 'my shop'"},
        ProblemCase{"LowerCaseCurrency", "currency: EUR", "currency: eur",
                    "shop.yaml:3: program.currency: must be a 3-letter "
                    "upper-case ISO 4217 code "
                    "such as EUR, got 'eur'"},
        ProblemCase{"ZeroPointValue", "point_value_minor: 1",
                    "point_value_minor: 0",
                    "shop.yaml:4: program.point_value_minor: must be greater "
                    "than 0, got 0"},
        ProblemCase{"NegativePoints", "points: 1", "points: -1",
                    "shop.yaml:6: earn.points: must be 0 or more, got -1"},
        ProblemCase{
            "ZeroPerMinor", "per_minor: 100", "per_minor: 0",
            "shop.yaml:7: earn.per_minor: must be greater than 0, got 0"},
        ProblemCase{"CashbackOver100Percent", "cashback_basis_points: 0",
                    "cashback_basis_points: 10001",
                    "shop.yaml:9: earn.cashback_basis_points: must be between "
                    "0 and 10000 (0% "
                    "to 100%), got 10001"},
        ProblemCase{"ShareOver100", "percent: 50", "percent: 101",
                    "shop.yaml:11: burn.max_basket_share_percent: must be "
                    "between 0 and 100, "
                    "got 101"},
        ProblemCase{"NegativeShare", "percent: 50", "percent: -1",
                    "shop.yaml:11: burn.max_basket_share_percent: must be "
                    "between 0 and 100, "
                    "got -1"},
        ProblemCase{"EarnedPointsPaySameOrder", "same_order: false",
                    "same_order: true",
                    "shop.yaml:12: burn.earned_points_pay_same_order: must be "
                    "false: points "
                    "earned on an order can never pay for that same order"}),
    [](const ::testing::TestParamInfo<ProblemCase>& param_info) {
      return param_info.param.name;
    });

TEST(RuleFileTest, SeveralProblemsAtOnceInLineOrder) {
  std::string text =
      GoodWith("point_value_minor: 1", "point_value_minor: zero");
  text = absl::StrReplaceAll(
      text, {{"rounding: down", "rounding: sideways"},
             {"  cashback_basis_points: 0\n", "  cashback: 5\n"},
             {"percent: 50", "percent: 200"},
             {"same_order: false", "same_order: true"}});
  EXPECT_THAT(ValidateRuleFile("promo.yaml", text),
              ElementsAre("promo.yaml:4: program.point_value_minor: must be a "
                          "whole number, got 'zero'",
                          "promo.yaml:8: earn.rounding: must be one of down, "
                          "half_up, half_even, up, got "
                          "'sideways'",
                          "promo.yaml:9: earn: unknown key 'cashback'; allowed "
                          "keys: points, per_minor, "
                          "rounding, cashback_basis_points",
                          "promo.yaml:11: burn.max_basket_share_percent: must "
                          "be between 0 and 100, got 200",
                          "promo.yaml:12: burn.earned_points_pay_same_order: "
                          "must be false: points earned on "
                          "an order can never pay for that same order"));
}

TEST(RuleFileTest, SyntaxErrorNamesTheLine) {
  // The flow list opened on line 6 is never closed; the parser notices on
  // line 7, where a mapping key cannot appear inside the list.
  std::vector<std::string> problems =
      ValidateRuleFile("shop.yaml", GoodWith("points: 1", "points: [1"));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0], MatchesRegex("shop\\.yaml:7: YAML syntax: .+"));
  // A broken indent is reported where it occurs.
  problems =
      ValidateRuleFile("shop.yaml", "program:\n  id: shop\n currency: EUR\n");
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_THAT(problems[0], MatchesRegex("shop\\.yaml:3: YAML syntax: .+"));
  // A tab used for indenting is named as the likely cause.
  EXPECT_THAT(
      ValidateRuleFile("shop.yaml", "program:\n\tid: shop\n"),
      ElementsAre("shop.yaml:2: YAML syntax: illegal map value (the line is "
                  "indented with a tab; YAML allows only spaces)"));
}

// yaml-cpp 0.7 allocates until memory runs out on a ',' right after a
// quoted text at the start of a document (found by the fuzzer): the reader
// refuses it with its line before yaml-cpp sees it.
TEST(RuleFileTest, ACommaRightAfterAQuotedTextIsRefusedWithItsLine) {
  const char* kRefused = "shop.yaml:2: YAML syntax: a ',' may not start a value";
  EXPECT_THAT(ValidateRuleFile("shop.yaml", "# a comment\n\"minor units\", cents\n"),
              ElementsAre(HasSubstr(kRefused)));
  EXPECT_THAT(ValidateRuleFile("shop.yaml", "# a comment\n'm',c\n"),
              ElementsAre(HasSubstr(kRefused)));
  // Inside a flow list, or inside the quotes, a comma is fine.
  EXPECT_THAT(ValidateRuleFile("shop.yaml", GoodWith("points: 1", "points: [\"a\", 1]")),
              Not(Contains(HasSubstr("may not start a value"))));
  EXPECT_THAT(ValidateRuleFile("shop.yaml", GoodWith("points: 1", "points: \"a, b\"")),
              Not(Contains(HasSubstr("may not start a value"))));
}

// The same runaway, reached through shapes a line-by-line scan missed: a
// quoted text over several lines, a closed collection, an escaped quote.
TEST(RuleFileTest, ACommaAfterAMultiLineTextOrAClosedListIsRefused) {
  const char* kRefused = "YAML syntax: a ',' may not start a value";
  EXPECT_THAT(ValidateRuleFile("shop.yaml", "'a\n# not a comment\nb', c\n"),
              ElementsAre(HasSubstr(absl::StrCat("shop.yaml:3: ", kRefused))));
  EXPECT_THAT(ValidateRuleFile("shop.yaml", "[a], b\n"),
              ElementsAre(HasSubstr(absl::StrCat("shop.yaml:1: ", kRefused))));
  EXPECT_THAT(ValidateRuleFile("shop.yaml", "{a: [1]}, b\n"),
              ElementsAre(HasSubstr(kRefused)));
  EXPECT_THAT(ValidateRuleFile("shop.yaml", "'it''s', b\n"),
              ElementsAre(HasSubstr(kRefused)));
  EXPECT_THAT(ValidateRuleFile("shop.yaml", "\"say \\\"hi\\\"\", b\n"),
              ElementsAre(HasSubstr(kRefused)));
  // A quote inside a word, or a comma inside a list, is ordinary text.
  EXPECT_THAT(ValidateRuleFile("shop.yaml", GoodWith("points: 1",
                                                     "points: [1, 'a, b']")),
              Not(Contains(HasSubstr("may not start a value"))));
}

// Every input the fuzzers found gets an answer: the reader lists problems
// for it and returns, however the file is shaped.
TEST(RuleFileTest, EveryFileTheFuzzerFoundIsAnsweredWithProblems) {
  const std::filesystem::path found =
      std::filesystem::path(LOYALTY_SOURCE_DIR) / "tests/fuzz/found";
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(found)) {
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    EXPECT_THAT(ValidateRuleFile("found.yaml", text), Not(IsEmpty()))
        << entry.path();
    ++files;
  }
  EXPECT_GT(files, 0);
}

TEST(RuleFileTest, WholeFileProblems) {
  EXPECT_THAT(
      ValidateRuleFile("a.yaml", ""),
      ElementsAre(
          "a.yaml:1: the file is empty; expected the sections program, earn, "
          "burn"));
  EXPECT_THAT(ValidateRuleFile("a.yaml", "# only a comment\n"),
              ElementsAre(HasSubstr("a.yaml:1: the file is empty")));
  EXPECT_THAT(
      ValidateRuleFile("a.yaml", "\n- program\n- earn\n"),
      ElementsAre(
          "a.yaml:2: expected the sections program, earn, burn, got a list"));
  EXPECT_THAT(
      ValidateRuleFile("a.yaml", std::string(kGood) + "---\n" + kGood),
      ElementsAre(
          "a.yaml:14: a rule file holds one YAML document, but a second "
          "one starts here (after '---')"));
  EXPECT_THAT(ValidateRuleFile("a.yaml", std::string(2 << 20, '#')),
              ElementsAre(HasSubstr("a.yaml:1: the file has 2097152 bytes")));
}

TEST(RuleFileTest, VersionDependsOnlyOnTheSettings) {
  absl::StatusOr<loyalty::v1::RuleSet> base = ParseRuleFile("shop.yaml", kGood);
  ASSERT_TRUE(base.ok()) << base.status();
  // Same content again, under another name, reordered and commented.
  const std::string reordered =
      "# Our shop\n"
      "burn: {earned_points_pay_same_order: false, max_basket_share_percent: "
      "50}\n"
      "earn:\n"
      "  rounding: down   # be strict\n"
      "  per_minor: 100\n"
      "  points: 1\n"
      "program: {currency: EUR, id: shop, point_value_minor: 1}\n";
  absl::StatusOr<loyalty::v1::RuleSet> same =
      ParseRuleFile("copy.yaml", reordered);
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(same->version(), base->version());
  EXPECT_EQ(ParseRuleFile("shop.yaml", kGood)->version(), base->version());
  EXPECT_EQ(internal::RuleSetVersion(*base), base->version());

  // Any changed value changes the version.
  for (const auto& [from, to] : {std::pair{"per_minor: 100", "per_minor: 101"},
                                 std::pair{"rounding: down", "rounding: up"},
                                 std::pair{"percent: 50", "percent: 49"},
                                 std::pair{"id: shop", "id: shop2"}}) {
    absl::StatusOr<loyalty::v1::RuleSet> changed =
        ParseRuleFile("shop.yaml", GoodWith(from, to));
    ASSERT_TRUE(changed.ok()) << changed.status();
    EXPECT_NE(changed->version(), base->version()) << to;
  }
}

}  // namespace
}  // namespace loyalty::evaluator

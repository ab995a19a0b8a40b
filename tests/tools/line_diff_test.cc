// The line diff of `loyaltyctl rules diff` (tools/loyaltyctl/line_diff.h):
// exact output for small cases, and on random texts that applying the diff
// to the old text gives the new one, also past the LCS table's bound.
#include "tools/loyaltyctl/line_diff.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace loyaltyctl {
namespace {

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

std::string JoinLines(const std::vector<std::string>& lines) {
  return lines.empty() ? "" : absl::StrCat(absl::StrJoin(lines, "\n"), "\n");
}

// Where the hunk header "@@ -A[,N] +B[,M] @@" starts in the old text
// (0-based index of its first old line).
size_t OldStart(const std::string& header) {
  const std::string range = header.substr(4, header.find(' ', 4) - 4);
  const std::vector<std::string> parts = absl::StrSplit(range, ',');
  size_t start = 0;
  size_t count = 1;
  EXPECT_TRUE(absl::SimpleAtoi(parts[0], &start)) << header;
  if (parts.size() > 1) {
    EXPECT_TRUE(absl::SimpleAtoi(parts[1], &count)) << header;
  }
  return count == 0 ? start : start - 1;
}

// Applies `diff` to `old_text`, checking every context and removed line.
std::string Apply(const std::string& old_text, const std::string& diff) {
  const std::vector<std::string> old_lines = SplitLines(old_text);
  std::vector<std::string> result;
  size_t next_old = 0;
  for (const std::string& line : SplitLines(diff)) {
    if (line.rfind("--- ", 0) == 0 || line.rfind("+++ ", 0) == 0) continue;
    if (line.rfind("@@ ", 0) == 0) {
      const size_t start = OldStart(line);
      EXPECT_GE(start, next_old) << line;
      while (next_old < start) result.push_back(old_lines[next_old++]);
      continue;
    }
    const std::string body = line.substr(1);
    if (line[0] == '+') {
      result.push_back(body);
      continue;
    }
    EXPECT_LT(next_old, old_lines.size()) << line;
    if (next_old >= old_lines.size()) break;
    EXPECT_EQ(old_lines[next_old], body) << line;
    ++next_old;
    if (line[0] == ' ') result.push_back(body);
  }
  while (next_old < old_lines.size()) result.push_back(old_lines[next_old++]);
  return JoinLines(result);
}

std::string Numbered(int from, int to) {
  std::vector<std::string> lines;
  for (int i = from; i <= to; ++i) lines.push_back(absl::StrCat("line ", i));
  return JoinLines(lines);
}

LineDiffOptions Labels() {
  LineDiffOptions options;
  options.old_label = "a";
  options.new_label = "b";
  return options;
}

TEST(LoyaltyctlLineDiffTest, TheSameLinesGiveNothing) {
  EXPECT_EQ(UnifiedLineDiff("", "", Labels()), "");
  EXPECT_EQ(UnifiedLineDiff("x\ny\n", "x\ny\n", Labels()), "");
  EXPECT_EQ(UnifiedLineDiff("x\ny", "x\ny\n", Labels()), "");
}

TEST(LoyaltyctlLineDiffTest, OneChangedLineWithThreeLinesOfContext) {
  const std::string old_text = Numbered(1, 10);
  std::string new_text = old_text;
  new_text.replace(new_text.find("line 5\n"), 7, "line five\n");
  EXPECT_EQ(UnifiedLineDiff(old_text, new_text, Labels()),
            "--- a\n+++ b\n"
            "@@ -2,7 +2,7 @@\n"
            " line 2\n line 3\n line 4\n"
            "-line 5\n+line five\n"
            " line 6\n line 7\n line 8\n");
}

TEST(LoyaltyctlLineDiffTest, AddedAndRemovedAtTheEnds) {
  EXPECT_EQ(UnifiedLineDiff("", "new\n", Labels()),
            "--- a\n+++ b\n@@ -0,0 +1 @@\n+new\n");
  EXPECT_EQ(UnifiedLineDiff("old\n", "", Labels()),
            "--- a\n+++ b\n@@ -1 +0,0 @@\n-old\n");
  EXPECT_EQ(UnifiedLineDiff(Numbered(1, 5), Numbered(2, 6), Labels()),
            "--- a\n+++ b\n"
            "@@ -1,5 +1,5 @@\n-line 1\n line 2\n line 3\n line 4\n"
            " line 5\n+line 6\n");
}

TEST(LoyaltyctlLineDiffTest, FarChangesGetTheirOwnHunksNearOnesShareOne) {
  std::vector<std::string> lines = SplitLines(Numbered(1, 30));
  std::vector<std::string> far = lines;
  far[2] = "changed";
  far[25] = "changed";
  const std::string far_diff =
      UnifiedLineDiff(JoinLines(lines), JoinLines(far), Labels());
  EXPECT_EQ(std::count(far_diff.begin(), far_diff.end(), '@'), 8) << far_diff;

  // Six unchanged lines between two changes: twice the context, one hunk.
  std::vector<std::string> near = lines;
  near[2] = "changed";
  near[9] = "changed";
  const std::string near_diff =
      UnifiedLineDiff(JoinLines(lines), JoinLines(near), Labels());
  EXPECT_EQ(std::count(near_diff.begin(), near_diff.end(), '@'), 4)
      << near_diff;
}

TEST(LoyaltyctlLineDiffTest, ApplyingTheDiffGivesTheNewText) {
  std::mt19937 random(20240501);
  for (int round = 0; round < 500; ++round) {
    // Few distinct lines, so that many match and many do not.
    auto text = [&random] {
      std::vector<std::string> lines(random() % 25);
      for (std::string& line : lines) line = absl::StrCat("v", random() % 4);
      return JoinLines(lines);
    };
    const std::string old_text = text();
    const std::string new_text = text();
    LineDiffOptions options = Labels();
    options.context_lines = random() % 4;
    const std::string diff = UnifiedLineDiff(old_text, new_text, options);
    EXPECT_EQ(diff.empty(), old_text == new_text);
    EXPECT_EQ(Apply(old_text, diff), new_text) << old_text << "\n" << diff;
  }
}

TEST(LoyaltyctlLineDiffTest, TextsBeyondTheTableBoundStillDiffCorrectly) {
  // 3000 x 3000 differing lines exceed kMaxLcsCells.
  const std::string old_text = Numbered(1, 3000);
  const std::string new_text = Numbered(2, 3001);
  ASSERT_GT(3001u * 3001u, kMaxLcsCells);
  const std::string diff = UnifiedLineDiff(old_text, new_text, Labels());
  EXPECT_EQ(Apply(old_text, diff), new_text);
}

}  // namespace
}  // namespace loyaltyctl

#include "line_diff.h"

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"

namespace loyaltyctl {
namespace {

// What happens to one line; the character is its prefix in the diff.
enum class Op : char { kSame = ' ', kRemoved = '-', kAdded = '+' };

// One line of the edit script. The indexes count the lines of each text
// consumed before this step, so a removed line is old[old_index] and an added
// line new[new_index].
struct Step {
  Op op;
  size_t old_index;
  size_t new_index;
};

using Lines = std::vector<std::string_view>;

// The lines of `text`, without their '\n'; a last line needs none.
Lines SplitLines(const std::string& text) {
  Lines lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    lines.emplace_back(text.data() + start, end - start);
    start = end + 1;
  }
  return lines;
}

// The steps for old[from, from + old_count) against new[from, from +
// new_count): a longest common subsequence when its table fits in
// kMaxLcsCells, else every old line removed, then every new line added.
void MiddleSteps(const Lines& old_lines, const Lines& new_lines, size_t from,
                 size_t old_count, size_t new_count, std::vector<Step>* steps) {
  size_t i = 0;
  size_t j = 0;
  const size_t width = new_count + 1;
  if (old_count + 1 <= kMaxLcsCells / width) {
    // lcs[i * width + j]: the longest common subsequence of the suffixes
    // starting at old line i and new line j (of the middle).
    std::vector<uint32_t> lcs((old_count + 1) * width, 0);
    for (size_t a = old_count; a-- > 0;) {
      for (size_t b = new_count; b-- > 0;) {
        lcs[a * width + b] =
            old_lines[from + a] == new_lines[from + b]
                ? lcs[(a + 1) * width + b + 1] + 1
                : std::max(lcs[(a + 1) * width + b], lcs[a * width + b + 1]);
      }
    }
    while (i < old_count && j < new_count) {
      if (old_lines[from + i] == new_lines[from + j]) {
        steps->push_back({Op::kSame, from + i++, from + j++});
      } else if (lcs[(i + 1) * width + j] >= lcs[i * width + j + 1]) {
        steps->push_back({Op::kRemoved, from + i++, from + j});
      } else {
        steps->push_back({Op::kAdded, from + i, from + j++});
      }
    }
  }
  for (; i < old_count; ++i)
    steps->push_back({Op::kRemoved, from + i, from + j});
  for (; j < new_count; ++j) steps->push_back({Op::kAdded, from + i, from + j});
}

std::vector<Step> EditScript(const Lines& old_lines, const Lines& new_lines) {
  const size_t shorter = std::min(old_lines.size(), new_lines.size());
  size_t prefix = 0;
  while (prefix < shorter && old_lines[prefix] == new_lines[prefix]) ++prefix;
  size_t suffix = 0;
  while (suffix < shorter - prefix &&
         old_lines[old_lines.size() - 1 - suffix] ==
             new_lines[new_lines.size() - 1 - suffix]) {
    ++suffix;
  }
  std::vector<Step> steps;
  for (size_t k = 0; k < prefix; ++k) steps.push_back({Op::kSame, k, k});
  MiddleSteps(old_lines, new_lines, prefix, old_lines.size() - prefix - suffix,
              new_lines.size() - prefix - suffix, &steps);
  for (size_t k = suffix; k > 0; --k) {
    steps.push_back({Op::kSame, old_lines.size() - k, new_lines.size() - k});
  }
  return steps;
}

// "-12,3" or "+4": where a hunk starts in one text (1-based; the line before
// when it holds no line of that text) and how many lines it holds there.
std::string Range(char sign, size_t start, size_t count) {
  if (count == 1) return absl::StrCat(std::string(1, sign), start + 1);
  return absl::StrCat(std::string(1, sign), count == 0 ? start : start + 1, ",",
                      count);
}

// Appends the hunk of steps [begin, end).
void AppendHunk(const std::vector<Step>& steps, size_t begin, size_t end,
                const Lines& old_lines, const Lines& new_lines,
                std::string* out) {
  size_t old_count = 0;
  size_t new_count = 0;
  for (size_t k = begin; k < end; ++k) {
    old_count += steps[k].op != Op::kAdded;
    new_count += steps[k].op != Op::kRemoved;
  }
  absl::StrAppend(out, "@@ ", Range('-', steps[begin].old_index, old_count),
                  " ", Range('+', steps[begin].new_index, new_count), " @@\n");
  for (size_t k = begin; k < end; ++k) {
    const Step& step = steps[k];
    const std::string_view line = step.op == Op::kAdded
                                      ? new_lines[step.new_index]
                                      : old_lines[step.old_index];
    out->push_back(static_cast<char>(step.op));
    out->append(line.data(), line.size());
    out->push_back('\n');
  }
}

}  // namespace

std::string UnifiedLineDiff(const std::string& old_text,
                            const std::string& new_text,
                            const LineDiffOptions& options) {
  const Lines old_lines = SplitLines(old_text);
  const Lines new_lines = SplitLines(new_text);
  const std::vector<Step> steps = EditScript(old_lines, new_lines);
  const size_t context = options.context_lines;
  std::string out;
  size_t emitted = 0;  // steps before this one are in a hunk already
  for (size_t change = 0; change < steps.size(); ++change) {
    if (steps[change].op == Op::kSame) continue;
    if (out.empty()) {
      out = absl::StrCat("--- ", options.old_label, "\n+++ ", options.new_label,
                         "\n");
    }
    const size_t begin = std::max(emitted, change - std::min(change, context));
    // Changes at most twice the context apart share a hunk.
    size_t last_change = change;
    for (size_t k = change + 1;
         k < steps.size() && k - last_change <= 2 * context + 1; ++k) {
      if (steps[k].op != Op::kSame) last_change = k;
    }
    const size_t end = std::min(steps.size(), last_change + 1 + context);
    AppendHunk(steps, begin, end, old_lines, new_lines, &out);
    emitted = end;
    change = end - 1;
  }
  return out;
}

}  // namespace loyaltyctl

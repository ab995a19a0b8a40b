// A line diff of two texts in the unified style of `diff -u`: hunks headed
// "@@ -A,N +B,M @@", removed lines prefixed '-', added lines '+', unchanged
// context lines ' '. Written here, not borrowed from a tool, so that
// loyaltyctl needs nothing installed beside it.
//
// The diff is a longest common subsequence of the lines left once the common
// first and last lines are set aside. That table is bounded (kMaxLcsCells);
// beyond it the differing middle is shown as removed, then added: still a
// correct diff, only not the shortest.
#ifndef LOYALTY_TOOLS_LOYALTYCTL_LINE_DIFF_H_
#define LOYALTY_TOOLS_LOYALTYCTL_LINE_DIFF_H_

#include <cstddef>
#include <string>

namespace loyaltyctl {

// At most 4M cells (16 MiB) for the LCS table of the differing middle.
inline constexpr size_t kMaxLcsCells = size_t{4} << 20;

struct LineDiffOptions {
  std::string old_label;     // shown as "--- old_label"
  std::string new_label;     // shown as "+++ new_label"
  size_t context_lines = 3;  // unchanged lines shown around each change
};

// The diff from `old_text` to `new_text`, headers included; empty when the
// two have the same lines. A missing newline at the end does not count.
std::string UnifiedLineDiff(const std::string& old_text,
                            const std::string& new_text,
                            const LineDiffOptions& options);

}  // namespace loyaltyctl

#endif  // LOYALTY_TOOLS_LOYALTYCTL_LINE_DIFF_H_

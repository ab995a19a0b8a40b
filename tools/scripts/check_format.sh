#!/usr/bin/env bash
# The format check of the test command: every C++ line (.cc, .h) changed
# since a base commit must read as clang-format-14 writes it with
# .clang-format. Untouched lines are never asked to change.
#   base    the commit in tools/scripts/format-base; when that commit is not in
#           this clone (a shallow one), HEAD~1; with neither, nothing is
#           checked. The lines compared are those that differ between the
#           base and the working tree (commits since the base, plus what is
#           not committed yet).
# Usage: tools/scripts/check_format.sh          exits 1 and names the files
#        tools/scripts/check_format.sh --fix    formats those lines in place
set -euo pipefail
cd "$(dirname "$0")/../.."
clang_format="${CLANG_FORMAT:-clang-format-14}"
git_clang_format="${GIT_CLANG_FORMAT:-git-clang-format-14}"

if ! command -v "$clang_format" >/dev/null || ! command -v "$git_clang_format" >/dev/null; then
  echo "check_format.sh: $clang_format or $git_clang_format not found (apt install clang-format-14)" >&2
  exit 1
fi
if ! git rev-parse --git-dir >/dev/null 2>&1; then
  echo "check_format.sh: not a git checkout; nothing to compare, skipped"
  exit 0
fi

base="$(grep -v '^#' tools/scripts/format-base | head -n1 | tr -d '[:space:]')"
if ! git cat-file -e "${base}^{commit}" 2>/dev/null; then
  if git rev-parse --verify -q HEAD~1 >/dev/null; then
    echo "check_format.sh: base ${base:0:12} is not in this clone; checking HEAD~1..working tree"
    base="$(git rev-parse HEAD~1)"
  else
    echo "check_format.sh: neither the base nor HEAD~1 is in this clone; skipped"
    exit 0
  fi
fi

run() {
  "$git_clang_format" --binary "$(command -v "$clang_format")" --style file \
    --extensions cc,h "$@" "$base" --
}

if [ "${1:-}" = "--fix" ]; then
  run --force
  exit 0
fi

diff="$(run --diff)"
if ! grep -q '^diff --git' <<<"$diff"; then
  echo "check_format.sh: lines changed since ${base:0:12} are formatted"
  exit 0
fi
echo "$diff" | head -n 200
files="$(grep '^+++ b/' <<<"$diff" | sed 's|^+++ b/||' | sort -u)"
cat >&2 <<MESSAGE

check_format.sh: lines changed since ${base:0:12} differ from .clang-format in:
$(sed 's/^/  /' <<<"$files")
Fix them (only the changed lines are touched) with:
  tools/scripts/check_format.sh --fix
MESSAGE
exit 1

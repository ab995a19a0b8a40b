#!/usr/bin/env bash
# Fuzzes with libFuzzer for N seconds each (default 60):
#   rule_file_fuzz  the rule-file reader and condition compiler, seeded with
#                   rules/*.yaml and rules/examples/*.yaml;
#   handlers_fuzz   the request handlers against an in-process engine,
#                   seeded with a few valid requests it writes itself.
# Exits non-zero on a crash; skips (exit 0) when clang++-14 is absent.
# LOYALTY_FUZZ_SEED picks the random seed (default 1, so a CI run repeats).
#   tests/fuzz/run_fuzz.sh [seconds]
# The whole project (evaluator and its dependencies) is instrumented with
# ASan+UBSan in build/fuzz; the fuzzer itself adds -fsanitize=fuzzer. The
# same build compiles loyalty_server and loyalty-bench under clang's
# -Werror=thread-safety.
set -euo pipefail
seconds="${1:-60}"
root="$(cd "$(dirname "$0")/../.." && pwd)"
build="${FUZZ_BUILD_DIR:-$root/build/fuzz}"

if ! command -v clang++-14 >/dev/null 2>&1; then
  echo "run_fuzz.sh: clang++-14 not found; skipping the fuzz run"
  exit 0
fi

# A small wrapper project: the engine without its tests, plus tests/fuzz. It
# works whether or not tests/CMakeLists.txt adds the fuzz directory itself.
wrapper="$build/wrapper"
mkdir -p "$wrapper"
cat > "$wrapper/CMakeLists.txt" <<CMAKE
cmake_minimum_required(VERSION 3.25)
project(loyalty_fuzz LANGUAGES CXX)
set(BUILD_TESTING OFF CACHE BOOL "" FORCE)
add_subdirectory("$root" loyalty)
add_subdirectory("$root/tests/fuzz" fuzz)
CMAKE

CC=clang-14 CXX=clang++-14 cmake -S "$wrapper" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="-fsanitize=address,undefined -fsanitize=fuzzer-no-link" \
  >/dev/null
# loyalty_server and loyalty-bench are built too (not fuzzed): this is the
# clang build of the test command, and with clang every ABSL_GUARDED_BY is
# checked (-Werror=thread-safety, CMakeLists.txt), so every library and tool
# that holds one is compiled here at least once.
cmake --build "$build" -j2 --target rule_file_fuzz handlers_fuzz \
  loyalty_server loyalty-bench

# Seeds: each rule file as a whole-file input (mode byte 0), and each
# condition line as a condition input (mode byte 1).
corpus="$build/fuzz-corpus"
mkdir -p "$corpus"
for file in "$root"/rules/*.yaml "$root"/rules/examples/*.yaml; do
  name="$(basename "$file" .yaml)"
  { printf '\0'; cat "$file"; } > "$corpus/file-$name"
  { grep -hoE '(condition|lines): .*' "$file" || true; } |
    sed -E 's/^[a-z]+: //; s/[}]$//' |
    while IFS= read -r condition; do
      printf '\1%s' "$condition" > "$corpus/cond-$(printf '%s' "$condition" | md5sum | cut -c1-12)"
    done
done

artifacts="$build/fuzz-artifacts"
mkdir -p "$artifacts"
echo "run_fuzz.sh: fuzzing for ${seconds}s (corpus $corpus)"
"$build/fuzz/rule_file_fuzz" "$corpus" \
  -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
  -seed="${LOYALTY_FUZZ_SEED:-1}" \
  -artifact_prefix="$artifacts/" -print_final_stats=1

handlers_corpus="$build/handlers-corpus"
mkdir -p "$handlers_corpus"
LOYALTY_FUZZ_SEEDS="$handlers_corpus" "$build/fuzz/handlers_fuzz" -runs=0 \
  "$handlers_corpus" > /dev/null 2>&1
echo "run_fuzz.sh: fuzzing the request handlers for ${seconds}s"
"$build/fuzz/handlers_fuzz" "$handlers_corpus" \
  -max_total_time="$seconds" -max_len=4096 -timeout=20 -rss_limit_mb=4096 \
  -seed="${LOYALTY_FUZZ_SEED:-1}" \
  -artifact_prefix="$artifacts/" -print_final_stats=1

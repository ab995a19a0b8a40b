#!/usr/bin/env bash
# Before and after at the same moment: runs loyaltyd builds (or one build
# with and without a preloaded allocator) one after the other, alternating,
# at each concurrency, so that the machine's load moves both alike. Each run
# is the engine phase of run.sh (fresh data dir, enrolled members, durable
# CommitPurchase only, uniform members) and prints one line: rate, p50, p99,
# loyaltyd's CPU per sale (from /proc/PID/stat over the measured window) and
# WAL bytes per sale. With --perf, `perf record -g` samples loyaltyd over the
# measured window of every run into OUT/NAME.perf.data.
#
# Usage: tools/bench/ab.sh [--rounds N] [--concurrency "1 8 64"]
#          [--duration S] [--warmup S] [--members N] [--out DIR] [--perf]
#          NAME=BUILD_DIR[@PRELOAD_LIBRARY] ...
# e.g.   tools/bench/ab.sh before=/tmp/base after=build/release \
#          jemalloc=build/release@/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
# The client (loyalty-bench) is always that of BENCH_BUILD_DIR (build/release).
# Raw files (bench JSON, CPU samples, server logs) stay in OUT
# (default build/bench-results/ab-<time>), the lines in OUT/ab.txt.
set -euo pipefail
source "$(dirname "$0")/run.sh"

AB_ROUNDS=2
AB_PERF=0
AB_VARIANTS=()
DURATION=10 WARMUP=2 MEMBERS=20000 CONCURRENCY="1 8 64"

ab_args() {
  while [[ $# -gt 0 ]]; do
    case $1 in
      --rounds) AB_ROUNDS=$2; shift ;;
      --concurrency) CONCURRENCY=$2; shift ;;
      --duration) DURATION=$2; shift ;;
      --warmup) WARMUP=$2; shift ;;
      --members) MEMBERS=$2; shift ;;
      --out) OUT=$2; shift ;;
      --perf) AB_PERF=1 ;;
      -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
      *=*) AB_VARIANTS+=("$1") ;;
      *) die "unknown argument '$1' (see --help)" ;;
    esac
    shift
  done
  [[ ${#AB_VARIANTS[@]} -ge 1 ]] || die "name at least one NAME=BUILD_DIR"
}

# ab_use SPEC: points BIN_* and LOYALTYD_PRELOAD at the variant.
ab_use() {
  local spec=${1#*=} dir
  dir=${spec%%@*}
  [[ $dir == /* ]] || dir=$ROOT/$dir
  LOYALTYD_PRELOAD=""
  [[ $spec == *@* ]] && LOYALTYD_PRELOAD=${spec#*@}
  BIN_LOYALTYD=$dir/engine/server/loyaltyd
  [[ -x $BIN_LOYALTYD ]] || die "no loyaltyd in $dir"
}

# ab_run NAME C: one run of the current variant; prints its line.
ab_run() {
  local name=$1 c=$2 perf=""
  local data=$TMP/$name
  start_loyaltyd "$data" "$OUT/$name.loyaltyd.log"
  enroll "$name" "$MEMBERS" 64
  watch_wal "$data" "$TMP/$name.wal" &
  local watcher=$! wal_before
  track "$watcher"
  sleep 0.5
  wal_before=$(cat "$TMP/$name.wal" 2> /dev/null || echo 0)
  if [[ $AB_PERF -eq 1 ]]; then
    (sleep "$WARMUP"; exec perf record -q -g -p "$LOYALTYD_PID" -o "$OUT/$name.perf.data" \
      -- sleep "$DURATION") > /dev/null 2>&1 &
    perf=$!
    track "$perf"
  fi
  cpu_start "$name"
  bench "$name" --no-enroll --members "$MEMBERS" --concurrency "$c" --mix commit=100
  cpu_end "$name" "$(jq -r '.kinds.commit.ok_per_second' "$OUT/$name.json")"
  [[ -n $perf ]] && { wait "$perf" || true; untrack "$perf"; }
  sleep 0.3
  kill "$watcher" 2> /dev/null || true
  wait "$watcher" 2> /dev/null || true
  untrack "$watcher"
  local commits wal=""
  commits=$(jq -r '.commits_applied' "$OUT/$name.json")
  (( commits > 0 )) && wal=$(( ($(cat "$TMP/$name.wal") - wal_before) / commits ))
  printf '%-28s c=%-4s %8.0f/s  p50 %6.2f ms  p99 %7.2f ms  cpu %5s us/sale  wal %5s B/sale  load %s  exact %s\n' \
    "$name" "$c" "$(jq -r '.kinds.commit.ok_per_second' "$OUT/$name.json")" \
    "$(jq -r '.kinds.commit.latency_ms.p50' "$OUT/$name.json")" \
    "$(jq -r '.kinds.commit.latency_ms.p99' "$OUT/$name.json")" \
    "$(get_fact "cpu_us.$name")" "$wal" "$(cut -d' ' -f1 /proc/loadavg)" \
    "$(jq -r '.verify.ok' "$OUT/$name.json")" | tee -a "$OUT/ab.txt"
  stop_loyaltyd
  rm -rf "$data"
}

ab_main() {
  ab_args "$@"
  OUT=${OUT:-$ROOT/build/bench-results/ab-$(date +%Y%m%d-%H%M%S)}
  SKIP_BUILD=1  # loyalty-bench and fsync-probe from BENCH_BUILD_DIR
  build
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  make_dirs
  local round c spec
  for round in $(seq "$AB_ROUNDS"); do
    for c in $CONCURRENCY; do
      for spec in "${AB_VARIANTS[@]}"; do
        ab_use "$spec"
        ab_run "${spec%%=*}-r$round-c$c" "$c"
      done
    done
  done
  log "done; raw files in $OUT"
}

ab_main "$@"

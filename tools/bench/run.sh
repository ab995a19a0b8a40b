#!/usr/bin/env bash
# The benchmark of issue 7, in one go on this machine, each system against a
# fresh data dir under a temp dir, then ONE table (see docs/BENCHMARKS.md):
#
#   engine      loyaltyd, durable commits (WAL fsync), loyalty-bench closed
#               loop at each concurrency, with uniform and Zipf members; then
#               open loop at half the peak it measured (p99 target), with the
#               disk's fdatasync latency probed beside it
#   batch       loyaltyd, the same sales sent as CommitPurchases of
#               BENCH_BATCH (100) each, at each concurrency whose sales in
#               flight fit the ledger's queue (16384)
#   no-op RPC   the gRPC health check on loyaltyd: loyalty-bench and h2load
#   db_bench    RocksDB synced writes of one sale's WAL bytes, same writers
#   PostgreSQL  15, started here on loopback as a non-root user; pgbench, one
#               transaction per sale; synchronous_commit on, and off
#   memory      loyaltyd's VmRSS / VmHWM with --members-for-memory members
#
# Usage: tools/bench/run.sh [--quick] [--duration S] [--warmup S]
#          [--members N] [--members-for-memory N] [--concurrency "1 8 64 256"]
#          [--zipf S] [--out DIR] [--skip-build] [--keep]
#          [--phases "engine open batch noop dbbench pg memory"] (default: all)
#          [--open-rate N] (open loop rate; default: half the measured peak)
# Environment (flags win): BENCH_BUILD_DIR (build/release), BENCH_DURATION (15),
#   BENCH_WARMUP (3), BENCH_MEMBERS (100000), BENCH_MEMORY_MEMBERS (1000000),
#   BENCH_CONCURRENCY ("1 8 64 256"), BENCH_ZIPF (1.01), BENCH_OUT,
#   BENCH_TMPDIR (where the data dirs go; must not be tmpfs),
#   BENCH_VALUE_SIZE (db_bench value bytes; default: measured from the engine),
#   BENCH_OPEN_RATE, BENCH_BATCH (sales per call of the batch phase; 100).
# Needs root (apt-get, runuser) or sudo for missing packages. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD

DURATION=${BENCH_DURATION:-15}
WARMUP=${BENCH_WARMUP:-3}
MEMBERS=${BENCH_MEMBERS:-100000}
MEMORY_MEMBERS=${BENCH_MEMORY_MEMBERS:-1000000}
CONCURRENCY=${BENCH_CONCURRENCY:-"1 8 64 256"}
ZIPF=${BENCH_ZIPF:-1.01}  # pgbench's random_zipfian needs >= 1.001
BUILD_DIR=${BENCH_BUILD_DIR:-build/release}
OUT=${BENCH_OUT:-}
VALUE_SIZE=${BENCH_VALUE_SIZE:-}
OPEN_RATE=${BENCH_OPEN_RATE:-}
BATCH=${BENCH_BATCH:-100}
SKIP_BUILD=0
KEEP=0
PHASES="engine open batch noop dbbench pg memory"
PGBIN=/usr/lib/postgresql/15/bin
PIDS=()          # background processes this script started
AUTH=()          # loyalty-bench flags that carry loyaltyd's API key
PG_DATA=""       # set while PostgreSQL runs
PG_AS=()         # command prefix that runs PostgreSQL as a non-root user

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() { awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$ROOT/tools/bench/run.sh"; }

parse_args() {
  while [[ $# -gt 0 ]]; do
    case $1 in
      --quick)
        DURATION=3 WARMUP=1 MEMBERS=2000 MEMORY_MEMBERS=20000 ;;
      --duration) DURATION=$2; shift ;;
      --warmup) WARMUP=$2; shift ;;
      --members) MEMBERS=$2; shift ;;
      --members-for-memory) MEMORY_MEMBERS=$2; shift ;;
      --concurrency) CONCURRENCY=$2; shift ;;
      --zipf) ZIPF=$2; shift ;;
      --out) OUT=$2; shift ;;
      --skip-build) SKIP_BUILD=1 ;;
      --keep) KEEP=1 ;;
      --phases) PHASES=$2; shift ;;
      --open-rate) OPEN_RATE=$2; shift ;;
      -h|--help) usage; exit 0 ;;
      *) die "unknown argument '$1' (see --help)" ;;
    esac
    shift
  done
}

# ---------------------------------------------------------------- setup ----

install_deps() {
  local missing=() package
  for package in postgresql-15 rocksdb-tools nghttp2-client jq; do
    dpkg -s "$package" > /dev/null 2>&1 || missing+=("$package")
  done
  [[ ${#missing[@]} -eq 0 ]] && return 0
  log "installing ${missing[*]}"
  local sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
    "${missing[@]}" > /dev/null
}

build() {
  local dir=$BUILD_DIR
  [[ $dir == /* ]] || dir=$ROOT/$dir
  BIN_LOYALTYD=$dir/engine/server/loyaltyd
  BIN_BENCH=$dir/tools/loyalty-bench/loyalty-bench
  BIN_PROBE=$dir/tools/loyalty-bench/fsync-probe
  [[ $SKIP_BUILD -eq 1 ]] && return 0
  log "building loyaltyd, loyalty-bench and fsync-probe in $BUILD_DIR"
  local targets=(--target loyaltyd loyalty-bench fsync-probe)
  if [[ $BUILD_DIR == build/release ]]; then
    tools/scripts/build.sh release "${targets[@]}" > /dev/null
  else
    cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DBUILD_TESTING=OFF > /dev/null
    cmake --build "$BUILD_DIR" -j 2 "${targets[@]}" > /dev/null
  fi
}

make_dirs() {
  local base=${BENCH_TMPDIR:-${TMPDIR:-/tmp}}
  if [[ $(stat -f -c %T "$base") == tmpfs ]]; then
    base=$ROOT/build  # fsync on tmpfs measures nothing
  fi
  TMP=$(mktemp -d "$base/loyalty-bench.XXXXXX")
  chmod 711 "$TMP"  # PostgreSQL's user must reach its own subdirectory
  OUT=${OUT:-$ROOT/build/bench-results/$(date +%Y%m%d-%H%M%S)}
  mkdir -p "$OUT"
  : > "$OUT/results.tsv"
  : > "$OUT/facts.tsv"
  log "data dirs in $TMP; results in $OUT"
}

cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill "$pid" 2> /dev/null || true; done
  [[ -n $PG_DATA ]] && pg_stop
  sleep 0.5
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2> /dev/null || true; done
  if [[ $KEEP -eq 0 && -n ${TMP:-} ]]; then rm -rf "$TMP"; fi
}

track() { PIDS+=("$1"); }

# bounded SECONDS COMMAND...: runs COMMAND under `timeout`, in the background
# and waited for, so that a signal to this script stops it at once (bash runs
# traps only between foreground commands).
bounded() {
  local seconds=$1 pid status=0
  shift
  timeout -k 5 "$seconds" "$@" &
  pid=$!
  track "$pid"
  wait "$pid" || status=$?
  untrack "$pid"
  return "$status"
}
untrack() {
  local keep=() pid
  for pid in "${PIDS[@]}"; do [[ $pid == "$1" ]] || keep+=("$pid"); done
  PIDS=("${keep[@]}")
}

# result KEY CONCURRENCY OPS_PER_S P99_MS: one cell of the table.
result() { printf '%s\t%s\t%s\t%s\n' "$@" >> "$OUT/results.tsv"; }
# fact KEY VALUE: one figure beside the table.
fact() { printf '%s\t%s\n' "$1" "$2" >> "$OUT/facts.tsv"; }
get_fact() { awk -F'\t' -v k="$1" '$1 == k { v = $2 } END { print v }' "$OUT/facts.tsv"; }

machine_info() {
  {
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "cores: $(nproc)"
    echo "cpu: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
    echo "memory: $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "kernel: $(uname -r)"
    echo "disk: $(df -hT "$TMP" | awk 'NR == 2 { print $1, $2, $3 " total,", $4 " used,", $5 " free" }')"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
  } | tee "$OUT/machine.txt" >&2
}

# p99 of column COLUMN of FILES (numbers), divided by DIVISOR.
p99_of() {
  local column=$1 divisor=$2
  shift 2
  awk -v c="$column" '{ print $c }' "$@" | sort -n |
    awk -v d="$divisor" '{ v[NR] = $1 } END {
      if (NR == 0) { print "nan"; exit }
      i = int(NR * 0.99); if (i < 1) i = 1; printf "%.2f\n", v[i] / d }'
}

# loyaltyd's CPU time (user + system, in clock ticks) from /proc/PID/stat.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2> /dev/null; }

# cpu_start NAME: samples loyaltyd's CPU time over the measured part of the
# run that starts now (after WARMUP s, for DURATION s), in the background.
cpu_start() {
  local name=$1 pid=$LOYALTYD_PID
  rm -f "$OUT/$name.cpu"
  (
    sleep "$WARMUP"
    before=$(cpu_ticks "$pid") || exit 0
    sleep "$DURATION"
    after=$(cpu_ticks "$pid") || exit 0
    echo "ticks=$(( after - before )) hz=$(getconf CLK_TCK) seconds=$DURATION" > "$OUT/$name.cpu"
  ) &
  CPU_SAMPLER=$!
  track "$CPU_SAMPLER"
}

# cpu_end NAME OPS_PER_S: waits for the sample; fact cpu_us.NAME = loyaltyd's
# CPU microseconds per operation answered in the measured window.
cpu_end() {
  wait "$CPU_SAMPLER" 2> /dev/null || true
  untrack "$CPU_SAMPLER"
  [[ -s $OUT/$1.cpu && $2 != nan && $2 != null ]] || return 0
  fact "cpu_us.$1" "$(awk -v r="$2" '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] } }
    END { if (r + 0 > 0) printf "%.0f\n", v["ticks"] * 1e6 / v["hz"] / (r * v["seconds"]) }' "$OUT/$1.cpu")"
}

# --------------------------------------------------------------- engine ----

# start_loyaltyd DATA_DIR LOG: starts loyaltyd on a free loopback port; sets
# LOYALTYD_PID, LOYALTYD_ADDR and AUTH (the bench's flags for the admin API
# key that loyaltyd writes at first start, when it asks for keys).
start_loyaltyd() {
  local flags=() help
  # Plain text on loopback: the figures are the engine's, not TLS's.
  help=$("$BIN_LOYALTYD" --helpfull 2>&1 || true)
  [[ $help == *--plaintext* ]] && flags+=(--plaintext)
  env ${LOYALTYD_PRELOAD:+LD_PRELOAD=$LOYALTYD_PRELOAD} \
    "$BIN_LOYALTYD" --data_dir "$1" --listen 127.0.0.1:0 "${flags[@]}" \
    --rules "$ROOT/rules/default.yaml" > "$2" 2>&1 &
  LOYALTYD_PID=$!
  track "$LOYALTYD_PID"
  local port="" i
  for i in $(seq 300); do  # 30 s
    port=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$2" 2> /dev/null || true)
    [[ -n $port ]] && break
    kill -0 "$LOYALTYD_PID" 2> /dev/null || die "loyaltyd did not start: $(cat "$2")"
    sleep 0.1
  done
  [[ -n $port ]] || die "loyaltyd did not listen within 30 s"
  LOYALTYD_ADDR=127.0.0.1:$port
  AUTH=()
  API_KEY=""
  if [[ -s $1/ADMIN_KEY ]]; then
    API_KEY=$(tr -d '[:space:]' < "$1/ADMIN_KEY")
    AUTH=(--metadata "x-api-key=$API_KEY")
  fi
}

stop_loyaltyd() {
  kill -TERM "$LOYALTYD_PID" 2> /dev/null || true
  local i
  for i in $(seq 200); do  # 20 s
    kill -0 "$LOYALTYD_PID" 2> /dev/null || break
    sleep 0.1
  done
  kill -9 "$LOYALTYD_PID" 2> /dev/null || true
  wait "$LOYALTYD_PID" 2> /dev/null || true
  untrack "$LOYALTYD_PID"
}

# bench NAME ARGS...: loyalty-bench against the running loyaltyd, bounded in
# time; JSON in $OUT/NAME.json, table in $OUT/NAME.txt.
bench() {
  local name=$1
  shift
  local bound=$(( ${WARMUP%.*} + ${DURATION%.*} + 90 ))
  local status=0
  bounded "$bound" "$BIN_BENCH" --server "$LOYALTYD_ADDR" "${AUTH[@]}" \
    --no-progress --warmup "$WARMUP" --duration "$DURATION" --json "$OUT/$name.json" "$@" \
    > "$OUT/$name.txt" 2>&1 || status=$?
  [[ $status -eq 0 ]] || log "  $name: loyalty-bench exited with $status (see $OUT/$name.txt)"
  [[ -s $OUT/$name.json ]] || die "$name: no results; $(tail -3 "$OUT/$name.txt")"
}

enroll() {  # NAME MEMBERS CONCURRENCY
  local bound=$(( $2 / 1000 + 120 ))
  bounded "$bound" "$BIN_BENCH" --server "$LOYALTYD_ADDR" "${AUTH[@]}" \
    --no-progress --enroll-only --members "$2" --enroll-concurrency "$3" \
    --json "$OUT/$1.enroll.json" > "$OUT/$1.enroll.txt" 2>&1 ||
    die "$1: enrollment failed: $(tail -3 "$OUT/$1.enroll.txt")"
}

# watch_wal DIR FILE: writes to FILE, every 0.2 s, the bytes written to the
# WAL so far (the largest size seen of every *.log file, summed): RocksDB
# deletes old WAL files after a flush.
watch_wal() {
  local -A size=()
  local file bytes total
  while true; do
    for file in "$1"/*.log; do
      bytes=$(stat -c %s "$file" 2> /dev/null) || continue
      (( bytes > ${size[$file]:-0} )) && size[$file]=$bytes
    done
    total=0
    for bytes in "${size[@]}"; do total=$(( total + bytes )); done
    echo "$total" > "$2.tmp" && mv "$2.tmp" "$2"
    sleep 0.2
  done
}

commit_cell() {  # KEY C JSON: the CommitPurchase figures of a run
  result "$1" "$2" \
    "$(jq -r '.kinds.commit.ok_per_second' "$3")" \
    "$(jq -r '.kinds.commit.latency_ms.p99' "$3")"
}

# engine_run NAME ZIPF C MIX [EXTRA ARGS]: one run on a fresh data dir.
engine_run() {
  local name=$1 zipf=$2 c=$3 mix=$4
  shift 4
  local data=$TMP/$name
  start_loyaltyd "$data" "$OUT/$name.loyaltyd.log"
  enroll "$name" "$MEMBERS" 64
  watch_wal "$data" "$TMP/$name.wal" &
  local watcher=$!
  track "$watcher"
  local wal_before probe="" i
  for i in $(seq 100); do  # the watcher's first figure, within 10 s
    [[ -s $TMP/$name.wal ]] && break
    sleep 0.1
  done
  wal_before=$(cat "$TMP/$name.wal" 2> /dev/null || echo 0)
  if [[ -n ${PROBE_OUT:-} ]]; then  # the disk's fdatasync latency, same window
    "$BIN_PROBE" "$TMP/probe.dat" "$(awk -v w="$WARMUP" -v d="$DURATION" \
      'BEGIN { print w + d }')" 10 > "$PROBE_OUT" &
    probe=$!
    track "$probe"
  fi
  cpu_start "$name"
  bench "$name" --no-enroll --members "$MEMBERS" --zipf "$zipf" \
    --concurrency "$c" --mix "$mix" "$@"
  cpu_end "$name" "$(jq -r '.kinds.commit.ok_per_second' "$OUT/$name.json")"
  fact "p50_ms.$name" "$(jq -r '.kinds.commit.latency_ms.p50' "$OUT/$name.json")"
  sleep 0.5
  kill "$watcher" 2> /dev/null || true
  wait "$watcher" 2> /dev/null || true
  untrack "$watcher"
  if [[ -n $probe ]]; then
    wait "$probe" || log "  fsync-probe failed"
    untrack "$probe"
  fi
  local commits
  commits=$(jq -r '.commits_applied' "$OUT/$name.json")
  if (( commits > 0 )); then
    local wal_after
    wal_after=$(cat "$TMP/$name.wal" 2> /dev/null || echo "$wal_before")
    fact "wal_bytes_per_commit.$name" $(( (wal_after - wal_before) / commits ))
  fi
  stop_loyaltyd
  rm -rf "$data"
}

engine_phase() {
  local c
  for c in $CONCURRENCY; do
    log "engine: CommitPurchase, uniform members, $c callers"
    engine_run "engine-uniform-c$c" 0 "$c" commit=100
    commit_cell engine "$c" "$OUT/engine-uniform-c$c.json"
  done
  for c in $CONCURRENCY; do
    log "engine: CommitPurchase, Zipf $ZIPF members, $c callers"
    engine_run "engine-zipf-c$c" "$ZIPF" "$c" commit=100
    commit_cell engine_zipf "$c" "$OUT/engine-zipf-c$c.json"
  done
  log "engine: the default mix (commit 70, quote 20, balance 10), 64 callers"
  engine_run engine-mix-c64 0 64 commit=70,quote=20,balance=10
}

# Sales sent as Checkout.CommitPurchases of $BATCH each: one fsync for
# many, as an offline till's backlog or an import sends them.
batch_phase() {
  local c
  for c in $CONCURRENCY; do
    if (( c * BATCH > 16384 )); then
      log "engine: batches of $BATCH at $c callers skipped: more sales in flight than the ledger queues"
      continue
    fi
    log "engine: CommitPurchases of $BATCH sales, uniform members, $c callers"
    engine_run "engine-batch$BATCH-c$c" 0 "$c" commit=100 --batch "$BATCH"
    commit_cell engine_batch "$c" "$OUT/engine-batch$BATCH-c$c.json"
  done
}

best_engine_rate() {
  awk -F'\t' '$1 == "engine" && $3 > best { best = $3 } END { print int(best) }' \
    "$OUT/results.tsv"
}

open_loop_phase() {
  local rate=${OPEN_RATE:-$(( $(best_engine_rate) / 2 ))}
  (( rate > 0 )) || { log "open loop skipped: no engine peak"; return 0; }
  log "engine: open loop at $rate commits/s (half the peak), fdatasync probed"
  PROBE_OUT=$OUT/fsync-under-load.txt engine_run engine-open-half 0 1 \
    commit=100 --rate "$rate"
  fact open_rate "$rate"
  fact open_ok_per_s "$(jq -r '.kinds.commit.ok_per_second' "$OUT/engine-open-half.json")"
  fact open_p50_ms "$(jq -r '.kinds.commit.latency_ms.p50' "$OUT/engine-open-half.json")"
  fact open_p99_ms "$(jq -r '.kinds.commit.latency_ms.p99' "$OUT/engine-open-half.json")"
  fact fsync_load "$(cat "$OUT/fsync-under-load.txt")"
}

fsync_idle() {
  log "disk: fdatasync latency, idle (5 s)"
  "$BIN_PROBE" "$TMP/probe-idle.dat" 5 10 > "$OUT/fsync-idle.txt"
  fact fsync_idle "$(cat "$OUT/fsync-idle.txt")"
}

# -------------------------------------------------------------- no-op RPC ----

h2load_run() {  # C
  local c=$1 clients streams
  clients=$(( c < 4 ? c : 4 ))
  streams=$(( (c + clients - 1) / clients ))
  printf '\0\0\0\0\0' > "$TMP/health-request.bin"  # gRPC frame, empty message
  cpu_start "h2load-c$c"
  bounded $(( ${WARMUP%.*} + ${DURATION%.*} + 30 )) h2load -t 1 \
    -c "$clients" -m "$streams" -D "$DURATION" --warm-up-time="$WARMUP" \
    -H 'content-type: application/grpc' -H 'te: trailers' \
    -H "x-api-key: ${API_KEY:-none}" \
    -d "$TMP/health-request.bin" --log-file="$TMP/h2load-c$c.log" \
    "http://$LOYALTYD_ADDR/grpc.health.v1.Health/Check" > "$OUT/h2load-c$c.txt" 2>&1 ||
    log "  h2load at $c exited with an error (see $OUT/h2load-c$c.txt)"
  local rate
  rate=$(sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' "$OUT/h2load-c$c.txt")
  cpu_end "h2load-c$c" "${rate:-nan}"
  result h2load "$c" "${rate:-nan}" "$(p99_of 3 1000 "$TMP/h2load-c$c.log")"
}

noop_phase() {
  start_loyaltyd "$TMP/noop" "$OUT/noop.loyaltyd.log"
  local c
  for c in $CONCURRENCY; do
    log "no-op RPC (health check): loyalty-bench and h2load, $c callers"
    cpu_start "noop-c$c"
    bench "noop-c$c" --no-enroll --mix health=100 --concurrency "$c"
    cpu_end "noop-c$c" "$(jq -r '.kinds.health.ok_per_second' "$OUT/noop-c$c.json")"
    fact "p50_ms.noop-c$c" "$(jq -r '.kinds.health.latency_ms.p50' "$OUT/noop-c$c.json")"
    result noop "$c" "$(jq -r '.kinds.health.ok_per_second' "$OUT/noop-c$c.json")" \
      "$(jq -r '.kinds.health.latency_ms.p99' "$OUT/noop-c$c.json")"
    h2load_run "$c"
  done
  stop_loyaltyd
  rm -rf "$TMP/noop"
}

# --------------------------------------------------------------- db_bench ----

# The WAL bytes one sale costs the engine, measured in the uniform runs: the
# run at 64 callers (or the largest measured) is the typical batch.
choose_value_size() {
  if [[ -n $VALUE_SIZE ]]; then
    fact value_size_source "BENCH_VALUE_SIZE"
  else
    local bytes
    bytes=$(get_fact wal_bytes_per_commit.engine-uniform-c64)
    [[ -n $bytes ]] || bytes=$(awk -F'\t' '$1 ~ /^wal_bytes_per_commit.engine-uniform/ { v = $2 } END { print v }' "$OUT/facts.tsv")
    [[ -n $bytes ]] || bytes=1024
    VALUE_SIZE=$(( bytes > 116 ? bytes - 16 : 100 ))  # minus the 16-byte key
    fact value_size_source "engine WAL bytes per sale ($bytes) - 16-byte key"
  fi
  fact value_size "$VALUE_SIZE"
}

dbbench_phase() {
  choose_value_size
  local c
  for c in $CONCURRENCY; do
    log "db_bench: fillrandom, sync=1, $VALUE_SIZE-byte values, $c threads"
    rm -rf "$TMP/db_bench"
    bounded $(( ${DURATION%.*} + 60 )) db_bench --benchmarks=fillrandom \
      --db="$TMP/db_bench" --sync=1 --threads="$c" --value_size="$VALUE_SIZE" \
      --key_size=16 --num=1000000000 --duration="${DURATION%.*}" --histogram=1 \
      --compression_type=lz4 --max_background_jobs=2 --use_existing_db=0 \
      > "$OUT/db_bench-c$c.txt" 2>&1 || log "  db_bench at $c failed (see $OUT/db_bench-c$c.txt)"
    result db_bench "$c" \
      "$(awk '/^fillrandom/ { for (i = 1; i <= NF; i++) if ($i == "ops/sec") print $(i - 1) }' "$OUT/db_bench-c$c.txt")" \
      "$(awk '/^Percentiles:/ { for (i = 1; i <= NF; i++) if ($i == "P99:") printf "%.2f\n", $(i + 1) / 1000 }' "$OUT/db_bench-c$c.txt")"
    fact "p50_ms.db_bench-c$c" \
      "$(awk '/^Percentiles:/ { for (i = 1; i <= NF; i++) if ($i == "P50:") printf "%.3f\n", $(i + 1) / 1000 }' "$OUT/db_bench-c$c.txt")"
  done
  rm -rf "$TMP/db_bench"
}

# ------------------------------------------------------------- PostgreSQL ----

pg_user_setup() {
  if [[ $(id -u) -ne 0 ]]; then PG_AS=(); return 0; fi
  local user=postgres
  id "$user" > /dev/null 2>&1 || {
    user=loyaltybench
    id "$user" > /dev/null 2>&1 || useradd --system --no-create-home "$user"
  }
  PG_AS=(runuser -u "$user" --)
  chown "$user" "$TMP/pg"
}

pg_start() {
  mkdir -p "$TMP/pg"
  pg_user_setup
  PG_PORT=$(free_port 54329)
  "${PG_AS[@]}" "$PGBIN/initdb" -D "$TMP/pg/data" -A trust -U bench \
    > "$OUT/pg-initdb.log" 2>&1 || die "initdb failed: $(tail -3 "$OUT/pg-initdb.log")"
  PG_DATA=$TMP/pg/data
  # Durable (fsync on, full_page_writes on), with room to avoid checkpoints
  # during a run; synchronous_commit is set per run. One line: pg_ctl pastes
  # the options into a shell command.
  local options=(-c listen_addresses=127.0.0.1 -p "$PG_PORT"
    -c "unix_socket_directories=$TMP/pg" -c max_connections=300
    -c shared_buffers=1GB -c max_wal_size=8GB -c checkpoint_timeout=30min
    -c fsync=on -c synchronous_commit=on)
  "${PG_AS[@]}" "$PGBIN/pg_ctl" -D "$PG_DATA" -l "$TMP/pg/log" -w -t 60 \
    -o "${options[*]}" start > /dev/null ||
    die "PostgreSQL did not start: $(tail -5 "$TMP/pg/log")"
  log "PostgreSQL 15 on 127.0.0.1:$PG_PORT"
}

pg_stop() {
  "${PG_AS[@]}" "$PGBIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 stop > /dev/null 2>&1 ||
    "${PG_AS[@]}" "$PGBIN/pg_ctl" -D "$PG_DATA" -m immediate stop > /dev/null 2>&1 || true
  PG_DATA=""
}

free_port() {  # first port from $1 that nothing listens on
  local port=$1
  while (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null; do port=$(( port + 1 )); done
  echo "$port"
}

pg_psql() { psql -h 127.0.0.1 -p "$PG_PORT" -U bench -d postgres -v ON_ERROR_STOP=1 -q "$@"; }

# pg_run KEY C ZIPF PROGRAM_ROWS SYNC: fresh tables, warm-up, measured run.
pg_run() {
  local key=$1 c=$2 zipf=$3 program=$4 sync=$5
  local name=pg-$key-c$c threads=$(( c < 2 ? 1 : 2 ))
  pg_psql -v members="$MEMBERS" -f tools/bench/pg_schema.sql > /dev/null 2>&1 ||
    die "loading the PostgreSQL schema failed"
  local args=(-h 127.0.0.1 -p "$PG_PORT" -U bench -n -M prepared -c "$c"
    -j "$threads" -f tools/bench/pg_commit.sql -D members="$MEMBERS"
    -D zipf="$zipf" -D program="$program")
  export PGOPTIONS="-c synchronous_commit=$sync"
  bounded $(( ${WARMUP%.*} + 60 )) pgbench "${args[@]}" -T "${WARMUP%.*}" postgres \
    > /dev/null 2>&1 || true
  rm -f "$TMP/$name".*
  bounded $(( ${DURATION%.*} + 60 )) pgbench "${args[@]}" -T "${DURATION%.*}" \
    -l --log-prefix="$TMP/$name" postgres > "$OUT/$name.txt" 2>&1 ||
    log "  pgbench $name failed (see $OUT/$name.txt)"
  unset PGOPTIONS
  result "$key" "$c" \
    "$(sed -n 's/^tps = \([0-9.]*\) .*/\1/p' "$OUT/$name.txt")" \
    "$(p99_of 3 1000 "$TMP/$name".*)"
  rm -f "$TMP/$name".*
}

pg_phase() {
  pg_start
  local c
  for c in $CONCURRENCY; do
    log "PostgreSQL: $c clients: sync on (uniform, Zipf, no hot row), sync off"
    pg_run pg_on "$c" 0 1 on
    pg_run pg_on_zipf "$c" "$ZIPF" 1 on
    pg_run pg_on_nohot "$c" 0 0 on
    pg_run pg_off "$c" 0 1 off
  done
  pg_stop
}

# ----------------------------------------------------------------- memory ----

rss_fact() {  # KEY: VmRSS and VmHWM of loyaltyd, in KiB
  fact "$1_rss_kib" "$(awk '/^VmRSS/ { print $2 }' "/proc/$LOYALTYD_PID/status")"
  fact "$1_hwm_kib" "$(awk '/^VmHWM/ { print $2 }' "/proc/$LOYALTYD_PID/status")"
}

memory_phase() {
  log "memory: enrolling $MEMORY_MEMBERS members, then a default-mix run"
  start_loyaltyd "$TMP/memory" "$OUT/memory.loyaltyd.log"
  enroll memory "$MEMORY_MEMBERS" 256
  fact memory_members "$MEMORY_MEMBERS"
  fact memory_enroll_seconds "$(jq -r '.enroll.seconds' "$OUT/memory.enroll.json")"
  rss_fact memory_enrolled
  bench memory-run --no-enroll --members "$MEMORY_MEMBERS" --concurrency 64
  rss_fact memory_after_run
  stop_loyaltyd
  fact memory_data_dir_bytes "$(du -sb "$TMP/memory" | cut -f1)"
  rm -rf "$TMP/memory"
}

# ---------------------------------------------------------------- summary ----

exactness() {
  local total=0 exact=0 file
  for file in "$OUT"/*.json; do
    [[ $(jq -r '.verify' "$file") == null ]] && continue
    total=$(( total + 1 ))
    [[ $(jq -r '.verify.ok' "$file") == true ]] && exact=$(( exact + 1 ))
  done
  fact exact_runs "$exact"
  fact verified_runs "$total"
}

summarize() {
  exactness
  fact load_average_at_end "$(cut -d' ' -f1 /proc/loadavg)"
  awk -F'\t' -v list="$CONCURRENCY" -v zipf="$ZIPF" -v value="$VALUE_SIZE" -v batch="$BATCH" \
    -f tools/bench/summary.awk "$OUT/results.tsv" "$OUT/facts.tsv"
}

# run_phase NAME FUNCTION: runs it if --phases names it; notes the load
# average, since other work on the machine moves every figure.
run_phase() {
  [[ " $PHASES " == *" $1 "* ]] || return 0
  fact "load_average_before_$1" "$(cut -d' ' -f1 /proc/loadavg)"
  "$2"
}

main() {
  parse_args "$@"
  install_deps
  build
  [[ -x $BIN_LOYALTYD && -x $BIN_BENCH && -x $BIN_PROBE ]] ||
    die "binaries missing in $BUILD_DIR"
  trap cleanup EXIT
  trap 'exit 130' INT TERM
  make_dirs
  machine_info
  fsync_idle
  run_phase engine engine_phase
  run_phase open open_loop_phase
  run_phase batch batch_phase
  run_phase noop noop_phase
  run_phase dbbench dbbench_phase
  run_phase pg pg_phase
  run_phase memory memory_phase
  summarize | tee "$OUT/summary.txt"
  log "done; every figure's raw output is in $OUT"
}

# tools/bench/ab.sh sources this file for its functions.
if [[ ${BASH_SOURCE[0]} == "$0" ]]; then main "$@"; fi

# Prints the one table of tools/bench/run.sh, the figures beside it and the
# targets of issue 7. Input (tab-separated): results.tsv (key, callers,
# ops/s, p99 ms), then facts.tsv (key, value). Variables: list (the
# concurrency list), zipf, value (db_bench value bytes).
FILENAME == ARGV[1] { ops[$1, $2] = $3; p99[$1, $2] = $4; next }
{ fact[$1] = $2 }

function known(key, c) {
  return ((key, c) in ops) && ops[key, c] != "" && ops[key, c] != "nan"
}

function cell(key, c) {
  if (!known(key, c)) return "-"
  return sprintf("%.0f (%.1f)", ops[key, c], p99[key, c])
}

# The concurrency at which `key` was fastest ("" when never measured).
function best_c(key,   i, b, bc) {
  b = -1; bc = ""
  for (i = 1; i <= n; i++) {
    if (known(key, cs[i]) && ops[key, cs[i]] + 0 > b) { b = ops[key, cs[i]] + 0; bc = cs[i] }
  }
  return bc
}

function ratio(a, b) {
  if (a == "" || b == "" || b + 0 == 0) return "-"
  return sprintf("%.2fx", a / b)
}

# p99 (in ms) out of a fsync-probe line "fdatasync_us count=.. p99=.. ...".
function probe(line, field,   parts, count, i, kv) {
  count = split(line, parts, " ")
  for (i = 1; i <= count; i++) {
    split(parts[i], kv, "=")
    if (kv[1] == field) return sprintf("%.1f", kv[2] / 1000)
  }
  return "?"
}

function row(label, key,   i, bc) {
  printf "%-44s", label
  for (i = 1; i <= n; i++) printf "%17s", cell(key, cs[i])
  bc = best_c(key)
  if (bc == "") printf "%22s\n", "-"
  else printf "%22s\n", cell(key, bc) " @" bc
}

function ratio_row(label, other,   i, ec, oc, text) {
  printf "%-44s", label
  for (i = 1; i <= n; i++) {
    text = "-"
    if (known("engine", cs[i]) && known(other, cs[i])) {
      text = ratio(ops["engine", cs[i]], ops[other, cs[i]])
    }
    printf "%17s", text
  }
  ec = best_c("engine"); oc = best_c(other)
  text = "-"
  if (ec != "" && oc != "") text = ratio(ops["engine", ec], ops[other, oc]) " (best/best)"
  printf "%22s\n", text
}

# Sales per second in batches against db_bench, at the same writers.
function batch_ratio_row(label,   i, text) {
  printf "%-44s", label
  for (i = 1; i <= n; i++) {
    text = "-"
    if (known("engine_batch", cs[i]) && known("db_bench", cs[i])) {
      text = ratio(ops["engine_batch", cs[i]], ops["db_bench", cs[i]])
    }
    printf "%17s", text
  }
  printf "%22s\n", ""
}

function verdict(ok) { return ok ? "MET   " : "MISSED" }

END {
  n = split(list, cs, " ")
  printf "%-44s", "throughput per second (p99 ms)"
  for (i = 1; i <= n; i++) printf "%17s", "c=" cs[i]
  printf "%22s\n", "best"
  row("engine CommitPurchase, durable, uniform", "engine")
  row("engine CommitPurchase, durable, Zipf " zipf, "engine_zipf")
  row("engine, batches of " batch " (sales/s)", "engine_batch")
  row("no-op RPC (health), loyalty-bench", "noop")
  row("no-op RPC (health), h2load", "h2load")
  row("db_bench fillrandom sync=1, " value " B values", "db_bench")
  row("PostgreSQL 15 sync on, uniform", "pg_on")
  row("PostgreSQL 15 sync on, Zipf " zipf, "pg_on_zipf")
  row("PostgreSQL 15 sync on, no program row", "pg_on_nohot")
  row("PostgreSQL 15 sync off, uniform", "pg_off")
  ratio_row("ratio engine / PostgreSQL (sync on)", "pg_on")
  ratio_row("ratio engine / PostgreSQL (no program row)", "pg_on_nohot")
  ratio_row("ratio engine / no-op RPC", "noop")
  ratio_row("ratio engine / db_bench", "db_bench")
  batch_ratio_row("ratio engine batches / db_bench")
  print ""
  printf "open loop at half the peak: %s commits/s offered, %s answered; commit p50 %s ms, p99 %s ms\n",
    fact["open_rate"], fact["open_ok_per_s"], fact["open_p50_ms"], fact["open_p99_ms"]
  printf "disk fdatasync p99 (4 KiB append, every 10 ms): %s ms during that run, %s ms idle (p50 %s / %s ms)\n",
    probe(fact["fsync_load"], "p99"), probe(fact["fsync_idle"], "p99"),
    probe(fact["fsync_load"], "p50"), probe(fact["fsync_idle"], "p50")
  printf "loyaltyd memory with %s members: VmRSS %.0f MiB (VmHWM %.0f MiB) after enrolling, %.0f MiB (VmHWM %.0f MiB) after a run; enrolled in %.0f s; data dir %.0f MiB\n",
    fact["memory_members"], fact["memory_enrolled_rss_kib"] / 1024,
    fact["memory_enrolled_hwm_kib"] / 1024, fact["memory_after_run_rss_kib"] / 1024,
    fact["memory_after_run_hwm_kib"] / 1024, fact["memory_enroll_seconds"],
    fact["memory_data_dir_bytes"] / 1048576
  printf "WAL bytes per sale (engine, uniform):"
  for (i = 1; i <= n; i++) {
    k = "wal_bytes_per_commit.engine-uniform-c" cs[i]
    if (k in fact) printf " c=%s %s", cs[i], fact[k]
  }
  printf "; db_bench value size %s (%s)\n", fact["value_size"], fact["value_size_source"]
  printf "balances exact in %s of %s verified loyalty-bench runs\n", fact["exact_runs"], fact["verified_runs"]
  printf "load average (1 min) before each phase, other work on the machine included:"
  split("engine open batch noop dbbench pg memory", phases, " ")
  for (i = 1; i <= 7; i++) {
    k = "load_average_before_" phases[i]
    if (k in fact) printf " %s %s,", phases[i], fact[k]
  }
  printf " at the end %s\n", fact["load_average_at_end"]
  print ""
  ec = best_c("engine"); pc = best_c("pg_on"); nc = best_c("noop")
  r = (ec != "" && pc != "") ? ops["engine", ec] / ops["pg_on", pc] : 0
  printf "target %s engine >= 6x PostgreSQL sync on (best of each): %.1fx\n", verdict(r >= 6), r
  r = (ec != "" && nc != "") ? ops["engine", ec] / ops["noop", nc] : 0
  printf "target %s engine >= 50%% of the no-op RPC (best of each): %.0f%%\n", verdict(r >= 0.5), 100 * r
  all = 1; compared = 0; detail = ""
  for (i = 1; i <= n; i++) {
    if (!known("engine", cs[i]) || !known("db_bench", cs[i])) continue
    ok = ops["engine", cs[i]] + 0 >= ops["db_bench", cs[i]] + 0
    all = all && ok; compared++
    detail = detail sprintf(" c=%s %s", cs[i], ok ? "yes" : "no")
  }
  printf "target %s engine >= db_bench at the same writers:%s\n", verdict(all && compared > 0), detail
  all = 1; compared = 0; detail = ""
  for (i = 1; i <= n; i++) {
    if (!known("engine_batch", cs[i]) || !known("db_bench", cs[i])) continue
    ok = ops["engine_batch", cs[i]] + 0 >= ops["db_bench", cs[i]] + 0
    all = all && ok; compared++
    detail = detail sprintf(" c=%s %s", cs[i], ok ? "yes" : "no")
  }
  printf "target %s engine in batches of %s >= db_bench at the same writers:%s\n",
    verdict(all && compared > 0), batch, detail
  printf "target %s commit p99 < 10 ms at half the peak: %s ms\n",
    verdict(fact["open_p99_ms"] != "" && fact["open_p99_ms"] + 0 < 10), fact["open_p99_ms"]
  rss = fact["memory_after_run_hwm_kib"] + 0
  printf "target %s loyaltyd memory < 1 GiB with %s members: %.0f MiB (peak)\n",
    verdict(rss > 0 && rss < 1048576), fact["memory_members"], rss / 1024
  printf "target %s balances exact, uniform and Zipf: %s of %s runs\n",
    verdict(fact["exact_runs"] == fact["verified_runs"] && fact["verified_runs"] > 0),
    fact["exact_runs"], fact["verified_runs"]
}

# Prints the one table of tools/bench/run.sh, the figures beside it and the
# targets of issues 7 and 14. Input (tab-separated): results.tsv (key, callers,
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

# loyaltyd's CPU microseconds per operation of run NAME ("" when unknown).
function cpu(name) { return (("cpu_us." name) in fact) ? fact["cpu_us." name] : "" }

function cpu_row(label, prefix,   i, v) {
  printf "%-44s", label
  for (i = 1; i <= n; i++) {
    v = cpu(prefix cs[i])
    printf "%17s", v == "" ? "-" : v " us"
  }
  printf "\n"
}

function cpu_ratio_row(label, a, b,   i, x, y) {
  printf "%-44s", label
  for (i = 1; i <= n; i++) {
    x = cpu(a cs[i]); y = cpu(b cs[i])
    printf "%17s", (x == "" || y == "" || y + 0 == 0) ? "-" : sprintf("%.2fx", x / y)
  }
  printf "\n"
}

# target LABEL MEASURED OK TEXT: one verdict line, "not run" when unmeasured.
function target(label, measured, ok, text) {
  if (!measured) printf "target not run %s\n", label
  else printf "target %s %s: %s\n", verdict(ok), label, text
}

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
  printf "%-44s", "loyaltyd CPU per operation (from /proc)"
  for (i = 1; i <= n; i++) printf "%17s", "c=" cs[i]
  printf "\n"
  cpu_row("engine CommitPurchase, durable, uniform", "engine-uniform-c")
  cpu_row("engine CommitPurchase, durable, Zipf " zipf, "engine-zipf-c")
  cpu_row("no-op RPC (health), loyalty-bench", "noop-c")
  cpu_row("no-op RPC (health), h2load", "h2load-c")
  cpu_ratio_row("ratio engine / no-op RPC (loyalty-bench)", "engine-uniform-c", "noop-c")
  print ""
  if ("open_rate" in fact) {
    printf "open loop at half the peak: %s commits/s offered, %s answered; commit p50 %s ms, p99 %s ms\n",
      fact["open_rate"], fact["open_ok_per_s"], fact["open_p50_ms"], fact["open_p99_ms"]
  } else {
    print "open loop at half the peak: not run"
  }
  printf "disk fdatasync p99 (4 KiB append, every 10 ms): %s during that run, %s ms idle (p50 %s ms idle)\n",
    ("fsync_load" in fact) ? probe(fact["fsync_load"], "p99") " ms (p50 " probe(fact["fsync_load"], "p50") " ms)" : "not run",
    probe(fact["fsync_idle"], "p99"), probe(fact["fsync_idle"], "p50")
  if ("memory_members" in fact) {
    printf "loyaltyd memory with %s members: VmRSS %.0f MiB (VmHWM %.0f MiB) after enrolling, %.0f MiB (VmHWM %.0f MiB) after a run; enrolled in %.0f s; data dir %.0f MiB\n",
      fact["memory_members"], fact["memory_enrolled_rss_kib"] / 1024,
      fact["memory_enrolled_hwm_kib"] / 1024, fact["memory_after_run_rss_kib"] / 1024,
      fact["memory_after_run_hwm_kib"] / 1024, fact["memory_enroll_seconds"],
      fact["memory_data_dir_bytes"] / 1048576
  } else {
    print "loyaltyd memory: not run"
  }
  printf "WAL bytes per sale (engine, uniform):"
  wal_runs = 0
  for (i = 1; i <= n; i++) {
    k = "wal_bytes_per_commit.engine-uniform-c" cs[i]
    if (k in fact) { printf " c=%s %s", cs[i], fact[k]; wal_runs++ }
  }
  if (wal_runs == 0) printf " not run"
  if ("value_size" in fact) printf "; db_bench value size %s (%s)\n", fact["value_size"], fact["value_size_source"]
  else printf "; db_bench not run\n"
  printf "balances exact in %s of %s verified loyalty-bench runs\n", fact["exact_runs"], fact["verified_runs"]
  printf "load average (1 min) before each phase, other work on the machine included:"
  split("engine open batch noop dbbench pg memory", phases, " ")
  for (i = 1; i <= 7; i++) {
    k = "load_average_before_" phases[i]
    if (k in fact) printf " %s %s,", phases[i], fact[k]
  }
  printf " at the end %s\n", fact["load_average_at_end"]
  print ""
  ec = best_c("engine"); nc = best_c("noop")
  r = (ec != "" && nc != "") ? ops["engine", ec] / ops["noop", nc] : 0
  target("engine >= 50% of the no-op RPC (best of each)", ec != "" && nc != "",
    r >= 0.5, sprintf("%.0f%%", 100 * r))
  all = 1; compared = 0; detail = ""
  for (i = 1; i <= n; i++) {
    if (!known("engine", cs[i]) || !known("db_bench", cs[i])) continue
    ok = ops["engine", cs[i]] + 0 >= ops["db_bench", cs[i]] + 0
    all = all && ok; compared++
    detail = detail sprintf(" c=%s %s", cs[i], ok ? "yes" : "no")
  }
  target("engine >= db_bench at the same writers", compared > 0, all, substr(detail, 2))
  all = 1; compared = 0; detail = ""
  for (i = 1; i <= n; i++) {
    if (!known("engine_batch", cs[i]) || !known("db_bench", cs[i])) continue
    ok = ops["engine_batch", cs[i]] + 0 >= ops["db_bench", cs[i]] + 0
    all = all && ok; compared++
    detail = detail sprintf(" c=%s %s", cs[i], ok ? "yes" : "no")
  }
  target("engine in batches of " batch " >= db_bench at the same writers",
    compared > 0, all, substr(detail, 2))
  issue14_targets()
  # (Test with `in` before reading: reading an absent fact creates it.)
  measured = "open_p99_ms" in fact
  target("commit p99 < 10 ms at half the peak", measured,
    fact["open_p99_ms"] + 0 < 10, fact["open_p99_ms"] " ms")
  measured = "memory_members" in fact
  rss = fact["memory_after_run_hwm_kib"] + 0
  target("loyaltyd memory < 1 GiB" (measured ? " with " fact["memory_members"] " members" : ""),
    measured, rss > 0 && rss < 1048576, sprintf("%.0f MiB (peak)", rss / 1024))
  target("balances exact, uniform and Zipf", fact["verified_runs"] > 0,
    fact["exact_runs"] == fact["verified_runs"], fact["exact_runs"] " of " fact["verified_runs"] " runs")
}

# The targets of issue 14 (the commit path), each "not run" when a phase
# it needs was left out.
function issue14_targets(   i, c, ok, text, measured, key, e, p, x, y, wal) {
  for (i = 1; i <= n; i++) {
    c = cs[i]
    if (c != 8 && c != 64) continue
    measured = known("engine", c) && known("pg_on_nohot", c)
    ok = measured && ops["engine", c] >= 2 * ops["pg_on_nohot", c] && \
      (!known("engine_zipf", c) || ops["engine_zipf", c] >= 2 * ops["pg_on_nohot", c])
    text = measured ? sprintf("uniform %s, Zipf %s", ratio(ops["engine", c], ops["pg_on_nohot", c]),
      ratio(ops["engine_zipf", c], ops["pg_on_nohot", c])) : ""
    target("engine >= 2x PostgreSQL without the program row at c=" c, measured, ok, text)
  }
  e = best_c("engine"); p = best_c("pg_on"); x = best_c("engine_zipf"); y = best_c("pg_on_zipf")
  measured = e != "" && p != "" && x != "" && y != ""
  ok = measured && ops["engine", e] >= 6 * ops["pg_on", p] && ops["engine_zipf", x] >= 6 * ops["pg_on_zipf", y]
  text = measured ? sprintf("uniform %s, Zipf %s (best/best)", ratio(ops["engine", e], ops["pg_on", p]),
    ratio(ops["engine_zipf", x], ops["pg_on_zipf", y])) : ""
  target("engine >= 6x PostgreSQL with the program row", measured, ok, text)
  key = "p50_ms.engine-uniform-c1"
  measured = (key in fact) && ("p50_ms.noop-c1" in fact) && ("p50_ms.db_bench-c1" in fact)
  if (measured) {
    bound = fact["p50_ms.noop-c1"] + fact["p50_ms.db_bench-c1"] + 0.15
    ok = fact[key] + 0 <= bound
    text = sprintf("%.3f ms against %.3f ms", fact[key], bound)
  }
  target("one caller: commit p50 <= no-op p50 + db_bench p50 + 0.15 ms", measured, ok, text)
  x = cpu("engine-uniform-c64"); y = cpu("noop-c64")
  measured = x != "" && y != "" && y + 0 > 0
  target("loyaltyd CPU per sale <= 2.5x a no-op RPC's at 64 callers", measured,
    measured && x / y <= 2.5, measured ? sprintf("%s us against %s us: %.2fx", x, y, x / y) : "")
  measured = "wal_bytes_per_commit.engine-uniform-c64" in fact
  wal = fact["wal_bytes_per_commit.engine-uniform-c64"]
  target("WAL bytes per sale <= 600 (uniform, 64 callers)", measured, wal + 0 <= 600, wal)
}

#include "report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace loyalty_bench {
namespace {

double Millis(int64_t nanos) { return static_cast<double>(nanos) / 1e6; }

std::string JsonString(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string Describe(const BenchOptions& options) {
  const std::string loop =
      options.rate > 0
          ? absl::StrFormat("open loop at %.0f calls/s", options.rate)
          : absl::StrFormat("closed loop, %d callers", options.concurrency);
  const std::string batches =
      options.batch > 0
          ? absl::StrFormat(", commits in batches of %d", options.batch)
          : "";
  return absl::StrFormat(
      "%s%s, %d channels, mix %s, %d members, zipf %.2f, baskets %d-%d "
      "lines, warmup %.0f s, measured %.0f s",
      loop, batches, options.channels, options.mix.ToString(), options.members,
      options.zipf, options.basket_min_lines, options.basket_max_lines,
      options.warmup_seconds, options.duration_seconds);
}

std::string EnrollLine(const EnrollReport& enroll) {
  return absl::StrFormat(
      "enrollment: %d members in %.1f s (%.0f/s), p50 %.2f ms, p99 %.2f ms\n",
      enroll.members, enroll.seconds,
      enroll.seconds > 0 ? static_cast<double>(enroll.members) / enroll.seconds
                         : 0.0,
      Millis(enroll.latency_p50_ns), Millis(enroll.latency_p99_ns));
}

std::string VerifyLine(const VerifyReport& verify) {
  if (verify.ok()) {
    return absl::StrFormat(
        "balances exact: %d sampled members hold what the CommitPurchase "
        "answers add up to (earned - redeemed); %d unknown outcomes resolved "
        "by resending, %d members unverifiable\n",
        verify.checked, verify.resolved_unknown, verify.unverifiable);
  }
  return absl::StrFormat(
      "BALANCES WRONG: %d of %d sampled members differ from the answers: %s\n",
      verify.checked - verify.matched, verify.checked,
      absl::StrJoin(verify.mismatches, "; "));
}

std::string KindJson(const KindResult& kind) {
  return absl::StrFormat(
      "%s: {\"ok\": %d, \"refused\": %d, \"failed\": %d, "
      "\"ok_per_second\": %.1f, \"latency_ms\": {\"p50\": %.3f, \"p90\": %.3f, "
      "\"p99\": %.3f, \"p999\": %.3f, \"max\": %.3f, \"mean\": %.3f}}",
      JsonString(kind.kind), kind.ok, kind.refused, kind.failed,
      kind.ok_per_second, kind.p50_ms, kind.p90_ms, kind.p99_ms, kind.p999_ms,
      kind.max_ms, kind.mean_ms);
}

std::string VerifyJson(const VerifyReport& verify) {
  std::vector<std::string> mismatches;
  for (const auto& text : verify.mismatches) mismatches.push_back(JsonString(text));
  return absl::StrFormat(
      "{\"ok\": %s, \"checked\": %d, \"matched\": %d, \"unverifiable\": %d, "
      "\"resolved_unknown\": %d, \"mismatches\": [%s]}",
      verify.ok() ? "true" : "false", verify.checked, verify.matched,
      verify.unverifiable, verify.resolved_unknown,
      absl::StrJoin(mismatches, ", "));
}

std::string EnrollJson(const EnrollReport& enroll) {
  return absl::StrFormat(
      "{\"members\": %d, \"seconds\": %.3f, \"p50_ms\": %.3f, \"p99_ms\": %.3f}",
      enroll.members, enroll.seconds, Millis(enroll.latency_p50_ns),
      Millis(enroll.latency_p99_ns));
}

}  // namespace

void CollectResults(const Recorder& recorder, RunReport* report) {
  report->load_ran = true;
  report->measured_seconds = recorder.MeasuredSeconds();
  const double seconds = report->measured_seconds > 0 ? report->measured_seconds : 1;
  for (int i = 0; i < kKindCount; ++i) {
    if (report->options.mix.weights[i] == 0) continue;
    const Kind kind = static_cast<Kind>(i);
    const KindStats& stats = recorder.stats(kind);
    const LatencyHistogram& latency = stats.latency;
    KindResult result;
    result.kind = KindName(kind);
    result.ok = stats.ok.load();
    result.refused = stats.refused.load();
    result.failed = stats.failed.load();
    result.ok_per_second = static_cast<double>(result.ok) / seconds;
    result.p50_ms = Millis(latency.PercentileNanos(0.50));
    result.p90_ms = Millis(latency.PercentileNanos(0.90));
    result.p99_ms = Millis(latency.PercentileNanos(0.99));
    result.p999_ms = Millis(latency.PercentileNanos(0.999));
    result.max_ms = Millis(latency.MaxNanos());
    result.mean_ms = latency.MeanNanos() / 1e6;
    report->kinds.push_back(result);
  }
  report->errors = recorder.ErrorSummary();
}

std::string FormatTable(const RunReport& report) {
  std::string out = absl::StrCat("loyalty-bench against ", report.options.server,
                                 ": ");
  if (!report.load_ran) {  // --enroll-only
    absl::StrAppend(&out, report.enroll ? EnrollLine(*report.enroll) : "nothing run\n");
    return out;
  }
  absl::StrAppend(&out, Describe(report.options), "\n");
  if (report.enroll) absl::StrAppend(&out, EnrollLine(*report.enroll));
  absl::StrAppendFormat(&out, "%-8s %10s %9s %8s %7s %8s %8s %8s %8s %8s\n",
                        "kind", "ok/s", "ok", "refused", "failed", "p50 ms",
                        "p90 ms", "p99 ms", "p99.9 ms", "max ms");
  for (const KindResult& kind : report.kinds) {
    absl::StrAppendFormat(
        &out, "%-8s %10.1f %9d %8d %7d %8.2f %8.2f %8.2f %8.2f %8.2f\n",
        kind.kind, kind.ok_per_second, kind.ok, kind.refused, kind.failed,
        kind.p50_ms, kind.p90_ms, kind.p99_ms, kind.p999_ms, kind.max_ms);
  }
  if (report.skipped > 0) {
    absl::StrAppendFormat(&out, "skipped (in-flight cap reached): %d calls\n",
                          report.skipped);
  }
  if (!report.drained) out += "WARNING: some calls were still in flight at exit\n";
  for (const auto& [key, error] : report.errors) {
    absl::StrAppendFormat(&out, "answers %s: %d (e.g. \"%s\")\n", key,
                          error.count, error.first_message);
  }
  if (report.verify) absl::StrAppend(&out, VerifyLine(*report.verify));
  return out;
}

std::string FormatJson(const RunReport& report) {
  const BenchOptions& options = report.options;
  std::vector<std::string> kinds;
  for (const KindResult& kind : report.kinds) kinds.push_back(KindJson(kind));
  std::vector<std::string> errors;
  for (const auto& [key, error] : report.errors) {
    errors.push_back(absl::StrCat(JsonString(key), ": ", error.count));
  }
  std::string out = absl::StrFormat(
      "{\n  \"server\": %s,\n  \"mode\": %s,\n  \"concurrency\": %d,\n"
      "  \"batch\": %d,\n"
      "  \"rate\": %.1f,\n  \"channels\": %d,\n  \"mix\": %s,\n"
      "  \"members\": %d,\n  \"zipf\": %.3f,\n  \"warmup_seconds\": %.1f,\n"
      "  \"duration_seconds\": %.1f,\n  \"measured_seconds\": %.3f,\n",
      JsonString(options.server),
      JsonString(options.rate > 0 ? "open" : "closed"), options.concurrency,
      options.batch, options.rate, options.channels,
      JsonString(options.mix.ToString()), options.members, options.zipf,
      options.warmup_seconds, options.duration_seconds,
      report.measured_seconds);
  absl::StrAppend(&out, "  \"enroll\": ",
                  report.enroll ? EnrollJson(*report.enroll) : "null", ",\n");
  absl::StrAppend(&out, "  \"kinds\": {", absl::StrJoin(kinds, ", "), "},\n");
  absl::StrAppendFormat(&out,
                        "  \"skipped\": %d,\n  \"drained\": %s,\n"
                        "  \"commits_applied\": %d,\n",
                        report.skipped, report.drained ? "true" : "false",
                        report.commits_applied);
  absl::StrAppend(&out, "  \"errors\": {", absl::StrJoin(errors, ", "), "},\n");
  absl::StrAppend(&out, "  \"verify\": ",
                  report.verify ? VerifyJson(*report.verify) : "null", "\n}\n");
  return out;
}

}  // namespace loyalty_bench

#include "engine/server/exposition.h"

#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace loyalty::server {

namespace {

void AppendLabels(const Labels& labels, std::string* out) {
  if (labels.empty()) return;
  out->push_back('{');
  bool first = true;
  for (const auto& [name, value] : labels) {
    if (!first) out->push_back(',');
    first = false;
    absl::StrAppend(out, name, "=\"", EscapeLabelValue(value), "\"");
  }
  out->push_back('}');
}

}  // namespace

std::string Scaled(int64_t value, int decimals) {
  int64_t divisor = 1;
  for (int i = 0; i < decimals; ++i) divisor *= 10;
  // Magnitudes as unsigned, so that the smallest int64 has one too.
  const bool negative = value < 0;
  const uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(value)
                                      : static_cast<uint64_t>(value);
  const uint64_t whole = magnitude / static_cast<uint64_t>(divisor);
  uint64_t fraction = magnitude % static_cast<uint64_t>(divisor);
  std::string text = absl::StrCat(negative ? "-" : "", whole);
  if (fraction == 0) return text;
  std::string digits = std::to_string(fraction);
  digits.insert(0, static_cast<size_t>(decimals) - digits.size(), '0');
  while (digits.back() == '0') digits.pop_back();
  return absl::StrCat(text, ".", digits);
}

std::string EscapeLabelValue(absl::string_view value) {
  std::string escaped;
  escaped.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      escaped += "\\\\";
    } else if (c == '"') {
      escaped += "\\\"";
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped.push_back(c);
    }
  }
  return escaped;
}

std::string EscapeHelp(absl::string_view help) {
  std::string escaped;
  escaped.reserve(help.size());
  for (char c : help) {
    if (c == '\\') {
      escaped += "\\\\";
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped.push_back(c);
    }
  }
  return escaped;
}

void Exposition::Family(absl::string_view name, absl::string_view type,
                        absl::string_view help) {
  absl::StrAppend(&text_, "# HELP ", name, " ", EscapeHelp(help), "\n",
                  "# TYPE ", name, " ", type, "\n");
}

void Exposition::Sample(absl::string_view name, const Labels& labels,
                        absl::string_view value) {
  text_.append(name.data(), name.size());
  AppendLabels(labels, &text_);
  absl::StrAppend(&text_, " ", value, "\n");
}

void Exposition::Sample(absl::string_view name, const Labels& labels,
                        int64_t value) {
  Sample(name, labels, absl::StrCat(value));
}

void Exposition::HistogramSamples(absl::string_view name, const Labels& labels,
                                  const HistogramCounts& counts, int decimals) {
  const std::string bucket = absl::StrCat(name, "_bucket");
  uint64_t cumulative = 0;
  for (size_t i = 0; i < counts.upper_bounds.size(); ++i) {
    cumulative += counts.counts[i];
    Labels with_le = labels;
    with_le.emplace_back("le", Scaled(counts.upper_bounds[i], decimals));
    Sample(bucket, with_le, absl::StrCat(cumulative));
  }
  cumulative += counts.counts.back();
  Labels with_inf = labels;
  with_inf.emplace_back("le", "+Inf");
  Sample(bucket, with_inf, absl::StrCat(cumulative));
  Sample(absl::StrCat(name, "_sum"), labels, Scaled(counts.sum, decimals));
  Sample(absl::StrCat(name, "_count"), labels, absl::StrCat(cumulative));
}

}  // namespace loyalty::server

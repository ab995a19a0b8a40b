// Checks of a /metrics page for tests: a reader of the Prometheus text
// format strict enough to catch what a hand-written exposition gets wrong
// (a sample before its family's HELP and TYPE, a family twice, a label value
// not escaped, buckets not cumulative or without +Inf, a +Inf bucket that is
// not the count), and promtool, Prometheus's own checker, where installed.
#ifndef LOYALTY_TESTS_SUPPORT_EXPOSITION_CHECK_H_
#define LOYALTY_TESTS_SUPPORT_EXPOSITION_CHECK_H_

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

namespace loyalty::testing {

// One sample line read back: name, labels (unescaped), value.
struct ReadSample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

// Reads `{a="x",b="y\"z"}`; false on a syntax error.
inline bool ReadLabels(absl::string_view text, size_t* at,
                       std::map<std::string, std::string>* labels) {
  if (*at >= text.size() || text[*at] != '{') return true;
  ++*at;
  while (*at < text.size() && text[*at] != '}') {
    const size_t eq = text.find("=\"", *at);
    if (eq == absl::string_view::npos) return false;
    std::string name(text.substr(*at, eq - *at));
    std::string value;
    size_t i = eq + 2;
    for (; i < text.size() && text[i] != '"'; ++i) {
      if (text[i] == '\n') return false;
      if (text[i] != '\\') {
        value.push_back(text[i]);
        continue;
      }
      if (++i >= text.size()) return false;
      if (text[i] == 'n') {
        value.push_back('\n');
      } else if (text[i] == '\\' || text[i] == '"') {
        value.push_back(text[i]);
      } else {
        return false;
      }
    }
    if (i >= text.size()) return false;
    (*labels)[name] = value;
    *at = i + 1;
    if (*at < text.size() && text[*at] == ',') ++*at;
  }
  if (*at >= text.size()) return false;
  ++*at;
  return true;
}

// Every sample of `page`; a problem found is appended to `problems`.
inline std::vector<ReadSample> ReadPage(const std::string& page,
                                        std::vector<std::string>* problems) {
  std::vector<ReadSample> samples;
  std::set<std::string> families;
  std::string family, type;
  bool help_seen = false;
  for (absl::string_view line : absl::StrSplit(page, '\n', absl::SkipEmpty())) {
    std::vector<std::string> words =
        absl::StrSplit(line, absl::MaxSplits(' ', 3));
    if (words.size() >= 3 && words[0] == "#" && words[1] == "HELP") {
      if (!families.insert(words[2]).second) {
        problems->push_back(absl::StrCat("family twice: ", words[2]));
      }
      family = words[2];
      type.clear();
      help_seen = true;
      continue;
    }
    if (words.size() == 4 && words[0] == "#" && words[1] == "TYPE") {
      if (!help_seen || words[2] != family) {
        problems->push_back(absl::StrCat("TYPE without HELP: ", line));
      }
      type = words[3];
      continue;
    }
    ReadSample sample;
    size_t at = line.find_first_of("{ ");
    if (at == absl::string_view::npos) {
      problems->push_back(absl::StrCat("not a sample: ", line));
      continue;
    }
    sample.name = std::string(line.substr(0, at));
    if (!ReadLabels(line, &at, &sample.labels) || at >= line.size() ||
        line[at] != ' ' ||
        !absl::SimpleAtod(line.substr(at + 1), &sample.value)) {
      problems->push_back(absl::StrCat("bad sample: ", line));
      continue;
    }
    const bool in_family =
        sample.name == family ||
        (type == "histogram" &&
         (sample.name == family + "_bucket" || sample.name == family + "_sum" ||
          sample.name == family + "_count"));
    if (!in_family || type.empty()) {
      problems->push_back(absl::StrCat("sample outside its family: ", line));
    }
    samples.push_back(std::move(sample));
  }
  return samples;
}

// Histogram rules: per series, buckets cumulative in the order written, the
// last one le="+Inf", equal to _count.
inline void CheckHistograms(const std::vector<ReadSample>& samples,
                            std::vector<std::string>* problems) {
  // series (name without _bucket + labels without le) -> bucket values.
  std::map<std::string, std::vector<std::pair<std::string, double>>> buckets;
  std::map<std::string, double> counts;
  for (const ReadSample& sample : samples) {
    auto labels = sample.labels;
    std::string le;
    if (auto found = labels.find("le"); found != labels.end()) {
      le = found->second;
      labels.erase(found);
    }
    std::string key;
    for (const auto& [name, value] : labels)
      absl::StrAppend(&key, name, "=", value, ",");
    if (absl::EndsWith(sample.name, "_bucket")) {
      std::string base = sample.name.substr(0, sample.name.size() - 7);
      buckets[base + "|" + key].emplace_back(le, sample.value);
    } else if (absl::EndsWith(sample.name, "_count")) {
      counts[sample.name.substr(0, sample.name.size() - 6) + "|" + key] =
          sample.value;
    }
  }
  for (const auto& [series, values] : buckets) {
    for (size_t i = 1; i < values.size(); ++i) {
      if (values[i].second < values[i - 1].second) {
        problems->push_back(absl::StrCat("buckets not cumulative: ", series));
      }
    }
    if (values.empty() || values.back().first != "+Inf") {
      problems->push_back(absl::StrCat("no +Inf bucket last: ", series));
    } else if (counts.count(series) == 0 ||
               counts[series] != values.back().second) {
      problems->push_back(absl::StrCat("+Inf bucket is not _count: ", series));
    }
  }
}

// The value of the sample `name` with exactly `labels`; -1 when absent.
inline double ValueOf(const std::vector<ReadSample>& samples,
                      const std::string& name,
                      const std::map<std::string, std::string>& labels = {}) {
  for (const ReadSample& sample : samples) {
    if (sample.name == name && sample.labels == labels) return sample.value;
  }
  return -1;
}

// promtool from LOYALTY_PROMTOOL or the PATH; "" when there is none.
inline std::string PromtoolPath() {
  if (const char* set = std::getenv("LOYALTY_PROMTOOL");
      set != nullptr && *set) {
    return set;
  }
  const char* path = std::getenv("PATH");
  for (absl::string_view dir :
       absl::StrSplit(path != nullptr ? path : "", ':')) {
    const std::string candidate = absl::StrCat(dir, "/promtool");
    if (std::ifstream(candidate).good()) return candidate;
  }
  return "";
}

// True on CI (CI set, as .ci/run's callers set it): a missing promtool is
// then a failure, since tools/scripts/install-deps.sh installs it.
inline bool OnCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && *ci != '\0' && std::string(ci) != "false";
}

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_SUPPORT_EXPOSITION_CHECK_H_

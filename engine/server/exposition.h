// The Prometheus text exposition format (version 0.0.4), written by hand
// since Debian packages no Prometheus C++ client. One Exposition builds one
// scrape's page: each metric family once, its HELP and TYPE lines first,
// then its samples; label values and help text escaped as the format asks
// (backslash, double quote and line feed in label values; backslash and
// line feed in help). Histograms get cumulative `_bucket` samples up to
// le="+Inf", then `_sum` and `_count`, the +Inf bucket equal to the count.
// Not thread-safe: one per scrape.
#ifndef LOYALTY_ENGINE_SERVER_EXPOSITION_H_
#define LOYALTY_ENGINE_SERVER_EXPOSITION_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/string_view.h"
#include "engine/base/histogram.h"

namespace loyalty::server {

// A sample's labels, in the order written.
using Labels = std::vector<std::pair<std::string, std::string>>;

// The content type of a page in this format.
inline constexpr char kExpositionContentType[] =
    "text/plain; version=0.0.4; charset=utf-8";

// `value` / 10^decimals in decimal, exactly and without trailing zeros:
// Scaled(50, 6) is "0.00005", Scaled(2000000, 6) is "2".
std::string Scaled(int64_t value, int decimals);

// A label value or help text escaped for the format.
std::string EscapeLabelValue(absl::string_view value);
std::string EscapeHelp(absl::string_view help);

class Exposition {
 public:
  // Starts a family: `type` is counter, gauge or histogram. Names follow
  // Prometheus's rules ([a-zA-Z_:][a-zA-Z0-9_:]*); units last (_seconds,
  // _bytes), counters end in _total.
  void Family(absl::string_view name, absl::string_view type,
              absl::string_view help);
  // One sample of the family begun last; `value` already formatted.
  void Sample(absl::string_view name, const Labels& labels,
              absl::string_view value);
  void Sample(absl::string_view name, const Labels& labels, int64_t value);
  // The samples of a histogram named `name`: its bounds and sum divided by
  // 10^decimals (6 turns microseconds into seconds; 0 keeps the units).
  void HistogramSamples(absl::string_view name, const Labels& labels,
                        const HistogramCounts& counts, int decimals);

  const std::string& text() const { return text_; }

 private:
  std::string text_;
};

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_EXPOSITION_H_

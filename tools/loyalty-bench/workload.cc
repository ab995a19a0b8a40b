#include "workload.h"

#include <algorithm>
#include <cmath>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"

namespace loyalty_bench {
namespace {

constexpr int kCatalogueSize = 1000;
constexpr const char* kCategories[] = {"drinks", "bakery", "dairy",
                                       "produce", "household", "snacks"};

absl::BitGen& Random() {
  thread_local absl::BitGen generator;
  return generator;
}

}  // namespace

MemberPicker::MemberPicker(int64_t count, double exponent) : count_(count) {
  if (exponent <= 0) return;
  cumulative_.resize(static_cast<size_t>(count));
  double sum = 0;
  for (int64_t i = 0; i < count; ++i) {
    sum += 1.0 / std::pow(static_cast<double>(i + 1), exponent);
    cumulative_[static_cast<size_t>(i)] = sum;
  }
  for (double& value : cumulative_) value /= sum;
}

int64_t MemberPicker::Next() const {
  if (cumulative_.empty()) return absl::Uniform<int64_t>(Random(), 0, count_);
  const double u = absl::Uniform<double>(Random(), 0.0, 1.0);
  const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
  return std::min<int64_t>(it - cumulative_.begin(), count_ - 1);
}

KindPicker::KindPicker(const Mix& mix) : total_(mix.Total()) {
  int sum = 0;
  for (int i = 0; i < kKindCount; ++i) {
    sum += mix.weights[i];
    upper_[i] = sum;
  }
}

Kind KindPicker::Next() const {
  const int draw = absl::Uniform<int>(Random(), 0, total_);
  for (int i = 0; i < kKindCount; ++i) {
    if (draw < upper_[i]) return static_cast<Kind>(i);
  }
  return Kind::kCommit;  // unreachable: draw < total_ == upper_.back()
}

std::string MemberId(const std::string& prefix, int64_t index) {
  return absl::StrCat(prefix, "-", index);
}

void FillBasket(int min_lines, int max_lines, loyalty::v1::Purchase* purchase) {
  absl::BitGen& random = Random();
  const int lines = absl::Uniform<int>(absl::IntervalClosed, random, min_lines,
                                       max_lines);
  for (int i = 0; i < lines; ++i) {
    const int sku = absl::Uniform<int>(random, 0, kCatalogueSize);
    auto* line = purchase->add_lines();
    line->set_sku(absl::StrFormat("sku-%04d", sku));
    line->set_category(kCategories[sku % std::size(kCategories)]);
    line->set_quantity(absl::Uniform<int>(absl::IntervalClosed, random, 1, 3));
    // A price that depends on the SKU only, as in a real catalogue.
    line->set_unit_price_minor(50 + (sku * 7919) % 4951);
  }
}

int64_t Subtotal(const loyalty::v1::Purchase& purchase) {
  int64_t total = 0;
  for (const auto& line : purchase.lines()) {
    total += line.quantity() * line.unit_price_minor();
  }
  return total;
}

RequestIds::RequestIds()
    : tag_(absl::StrFormat("%08x%04x", absl::Uniform<uint32_t>(Random()),
                           static_cast<uint32_t>(absl::ToUnixSeconds(absl::Now())) &
                               0xffff)) {}

std::string RequestIds::Next() {
  return absl::StrCat(tag_, "-", next_.fetch_add(1, std::memory_order_relaxed));
}

bool Chance(int percent) {
  return absl::Uniform<int>(Random(), 0, 100) < percent;
}

}  // namespace loyalty_bench

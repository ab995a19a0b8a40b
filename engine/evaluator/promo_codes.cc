// Promo codes at checkout: is each presented code known, meant for this
// member, valid now and not used up? A good code activates its rules; it is
// spent (PricedPurchase.promo_codes_used) only if one of them gave something.
#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "engine/base/error.h"
#include "engine/base/status_macros.h"
#include "engine/evaluator/pricing.h"
#include "engine/evaluator/text.h"

namespace loyalty::evaluator::internal {
namespace {

int64_t UsesIn(const absl::flat_hash_map<std::string, int64_t>& uses,
               const std::string& code) {
  auto it = uses.find(code);
  return it == uses.end() ? 0 : it->second;
}

std::string ValidityWords(const CompiledPromoCode& code, absl::TimeZone zone) {
  constexpr char kFormat[] = "%Y-%m-%d %H:%M";
  std::string words;
  if (code.window.from != absl::InfinitePast()) {
    absl::StrAppend(&words, " from ", absl::FormatTime(kFormat, code.window.from, zone));
  }
  if (code.window.to != absl::InfiniteFuture()) {
    absl::StrAppend(&words, " until ", absl::FormatTime(kFormat, code.window.to, zone));
  }
  const std::string days = WindowWords(code.code->validity());
  if (!days.empty()) absl::StrAppend(&words, " on ", days);
  return words;
}

// "purchase.promo_codes[1]": built only when a code is refused.
std::string CodeField(int index) {
  return absl::StrCat("purchase.promo_codes[", index, "]");
}

// The presented code `index` against its definition and the counters.
absl::Status CheckOne(const Pricing& pricing, const CompiledPromoCode& code,
                      int index) {
  const loyalty::v1::PromoCode& definition = *code.code;
  const std::string& name = code.normalized;
  const int64_t member_uses = UsesIn(pricing.member.promo_code_uses, name);
  if (!definition.member_id().empty()) {
    if (definition.member_id() != pricing.purchase.member_id()) {
      return FailedPrecondition(
          "PROMO_CODE_NOT_FOR_MEMBER", CodeField(index),
          absl::StrCat("the code ", Quoted(name), " is personal to another member"));
    }
    if (member_uses > 0) {
      return FailedPrecondition(
          "PROMO_CODE_ALREADY_USED", CodeField(index),
          absl::StrCat("the personal code ", Quoted(name), " was already used"));
    }
  }
  if (!WindowHolds(code.window, pricing.now, pricing.local)) {
    return FailedPrecondition(
        "PROMO_CODE_NOT_VALID_NOW", CodeField(index),
        absl::StrCat("the code ", Quoted(name), " is valid",
                     ValidityWords(code, pricing.program.zone)));
  }
  if (definition.has_max_uses() &&
      UsesIn(pricing.state.promo_code_uses, name) >= definition.max_uses()) {
    return FailedPrecondition(
        "PROMO_CODE_USED_UP", CodeField(index),
        absl::StrCat("the code ", Quoted(name), " was used its ",
                     definition.max_uses(), " times"));
  }
  if (definition.has_max_uses_per_member() &&
      member_uses >= definition.max_uses_per_member()) {
    return FailedPrecondition(
        "PROMO_CODE_ALREADY_USED", CodeField(index),
        absl::StrCat("the code ", Quoted(name), " may be used ",
                     definition.max_uses_per_member(),
                     " time(s) per member, and this member has used it ",
                     member_uses));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckPromoCodes(Pricing& pricing) {
  const std::vector<CompiledPromoCode>& known = pricing.program.promo_codes;
  pricing.activated_by.assign(pricing.program.rules.size(), -1);
  for (int i = 0; i < pricing.purchase.promo_codes_size(); ++i) {
    const std::string name = NormalizePromoCode(pricing.purchase.promo_codes(i));
    auto found = std::lower_bound(
        known.begin(), known.end(), name,
        [](const CompiledPromoCode& code, const std::string& text) {
          return code.normalized < text;
        });
    if (found == known.end() || found->normalized != name) {
      return FailedPrecondition(
          "UNKNOWN_PROMO_CODE", CodeField(i),
          absl::StrCat("no promotion has the code ",
                       Quoted(pricing.purchase.promo_codes(i))));
    }
    RETURN_IF_ERROR(CheckOne(pricing, *found, i));
    pricing.codes.push_back(&*found);
    for (int position : found->rule_positions) {
      if (pricing.activated_by[position] < 0) {
        pricing.activated_by[position] =
            static_cast<int16_t>(pricing.codes.size() - 1);
      }
    }
  }
  pricing.code_gave.assign(pricing.codes.size(), false);
  return absl::OkStatus();
}

void RecordPromoCodes(Pricing& pricing) {
  for (size_t i = 0; i < pricing.codes.size(); ++i) {
    const CompiledPromoCode& code = *pricing.codes[i];
    if (pricing.code_gave[i]) {
      loyalty::v1::PromoCodeUse& use = *pricing.priced.add_promo_codes_used();
      use.set_code(code.normalized);
      use.set_personal(!code.code->member_id().empty());
      continue;
    }
    loyalty::v1::AppliedRule& row = *pricing.priced.add_applied();
    row.set_rule_id(absl::StrCat("promo-code:", code.normalized));
    row.set_explanation(absl::StrCat(
        "Promo code ", code.normalized,
        ": accepted, but none of its offers applies to this basket; the code "
        "is not used up"));
  }
}

}  // namespace loyalty::evaluator::internal

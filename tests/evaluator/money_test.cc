// Money as text (engine/base/money.h): the currency's decimals both ways.
#include "engine/base/money.h"

#include <cstdint>
#include <limits>

#include "gtest/gtest.h"

namespace loyalty {
namespace {

TEST(MoneyTest, FormatsWithTheCurrencysDecimals) {
  EXPECT_EQ(FormatMoney(20000, "EUR"), "200.00 EUR");
  EXPECT_EQ(FormatMoney(-5, "EUR"), "-0.05 EUR");
  EXPECT_EQ(FormatMoney(1500, "JPY"), "1500 JPY");
  EXPECT_EQ(FormatMoney(1234, "KWD"), "1.234 KWD");
  EXPECT_EQ(FormatMinor(std::numeric_limits<int64_t>::min(), "EUR"),
            "-92233720368547758.08");
}

TEST(MoneyTest, ParsesAmountsInCurrencyUnits) {
  EXPECT_EQ(*ParseMoney("200.00", "EUR"), 20000);
  EXPECT_EQ(*ParseMoney("200.5", "EUR"), 20050);
  EXPECT_EQ(*ParseMoney("200.00 EUR", "EUR"), 20000);
  EXPECT_EQ(*ParseMoney("200 EUR", "EUR"), 20000);
  EXPECT_EQ(*ParseMoney("0", "EUR"), 0);
  EXPECT_EQ(*ParseMoney("5000", "JPY"), 5000);
  EXPECT_EQ(*ParseMoney("1.5", "KWD"), 1500);
}

TEST(MoneyTest, RefusesAmbiguousForeignAndOverlongAmounts) {
  EXPECT_EQ(ParseMoney("200", "EUR").status().message(),
            "'200' is ambiguous: amounts are written in EUR with decimals; "
            "write 200.00 for 200.00 EUR, or 2.00 if you meant 200 cents");
  EXPECT_FALSE(ParseMoney("200.00 USD", "EUR").ok());
  EXPECT_FALSE(ParseMoney("200.001", "EUR").ok());
  EXPECT_FALSE(ParseMoney("1.5", "JPY").ok());
  EXPECT_FALSE(ParseMoney("2,00", "EUR").ok());
  EXPECT_FALSE(ParseMoney("99999999999999999999.00", "EUR").ok());
  EXPECT_FALSE(ParseMoney("92233720368547758.08", "EUR").ok());
}

}  // namespace
}  // namespace loyalty

// The ledger's format key and the steps that bring an older ledger up to
// today's format when it opens (engine/ledger/format.h), with made-up
// formats: a step runs once, in order, moves the key only once it is done,
// is run again after it failed part-way, and a format nobody knows is
// refused with its name.
#include "engine/ledger/format.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "engine/ledger/ledger.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace loyalty::ledger {
namespace {

class FormatTest : public ::testing::Test {
 protected:
  absl::StatusOr<std::unique_ptr<Ledger>> Open(const FormatHistory& formats) {
    LedgerOptions options;
    options.data_dir = dir_.Sub("data");
    options.formats = &formats;
    options.on_progress = [this](absl::string_view line) {
      heard_.emplace_back(line);
    };
    return Ledger::Open(options);
  }

  // The format key and the record `key` of the closed ledger ("" if absent).
  std::string Stored(const std::string& key) {
    rocksdb::DB* raw = nullptr;
    rocksdb::Options options;
    EXPECT_TRUE(
        rocksdb::DB::OpenForReadOnly(options, dir_.Sub("data"), &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    std::string value;
    if (db == nullptr || !db->Get({}, key, &value).ok()) return "";
    return value;
  }

  // A step that writes `key` = "done" and counts its runs in `runs`.
  static FormatStep Step(std::string from, std::string to, std::string key,
                         int* runs) {
    return FormatStep{
        std::move(from), std::move(to),
        [key, runs](rocksdb::DB& db,
                    const std::function<void(absl::string_view)>& progress) {
          ++*runs;
          progress(absl::StrCat("writing ", key));
          const rocksdb::Status put =
              db.Put(rocksdb::WriteOptions(), key, "done");
          return put.ok() ? absl::OkStatus()
                          : absl::UnavailableError(put.ToString());
        }};
  }

  testing::TempDir dir_;
  std::vector<std::string> heard_;
};

TEST_F(FormatTest, ANewLedgerIsWrittenInTheCurrentFormat) {
  ASSERT_TRUE(Open(FormatHistory{"f-1", {}}).ok());
  EXPECT_EQ(Stored(kFormatKey), "f-1");
}

TEST_F(FormatTest, ThisBuildWritesItsCurrentFormat) {
  ASSERT_TRUE(Open(LedgerFormats()).ok());
  EXPECT_EQ(Stored(kFormatKey), LedgerFormats().current);
}

TEST_F(FormatTest, TheStepsRunOnceInOrderAndMoveTheKey) {
  ASSERT_TRUE(Open(FormatHistory{"f-1", {}}).ok());
  int first = 0;
  int second = 0;
  const FormatHistory today{"f-3",
                            {Step("f-1", "f-2", "x/one", &first),
                             Step("f-2", "f-3", "x/two", &second)}};
  ASSERT_TRUE(Open(today).ok());
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 1);
  EXPECT_EQ(Stored(kFormatKey), "f-3");
  EXPECT_EQ(Stored("x/one"), "done");
  EXPECT_EQ(Stored("x/two"), "done");
  EXPECT_EQ(heard_, (std::vector<std::string>{
                        "ledger format f-1 -> f-2", "writing x/one",
                        "ledger format f-2 -> f-3", "writing x/two"}));
  ASSERT_TRUE(Open(today).ok());  // up to date now: nothing runs again
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 1);
}

TEST_F(FormatTest, AStepThatFailsLeavesTheKeyAndRunsAgainAtTheNextOpen) {
  ASSERT_TRUE(Open(FormatHistory{"f-1", {}}).ok());
  int runs = 0;
  const FormatHistory failing{
      "f-2",
      {FormatStep{
          "f-1", "f-2",
          [&runs](rocksdb::DB&, const std::function<void(absl::string_view)>&) {
            ++runs;
            return absl::UnavailableError("disk full half-way");
          }}}};
  const auto refused = Open(failing);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(
      absl::StrContains(refused.status().message(), "disk full half-way"));
  EXPECT_EQ(Stored(kFormatKey), "f-1");
  int again = 0;
  ASSERT_TRUE(
      Open(FormatHistory{"f-2", {Step("f-1", "f-2", "x/one", &again)}}).ok());
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(again, 1);
  EXPECT_EQ(Stored(kFormatKey), "f-2");
}

TEST_F(FormatTest, AFormatThisBuildDoesNotKnowIsRefusedByName) {
  ASSERT_TRUE(Open(FormatHistory{"f-9", {}}).ok());
  int runs = 0;
  const auto refused =
      Open(FormatHistory{"f-2", {Step("f-1", "f-2", "x/one", &runs)}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(refused.status().message(),
                                "unknown ledger format 'f-9'"))
      << refused.status();
  EXPECT_EQ(runs, 0);
  EXPECT_EQ(Stored(kFormatKey), "f-9");
}

TEST_F(FormatTest, ALongUnknownFormatIsCutInTheRefusal) {
  const std::string long_name(5000, 'z');
  ASSERT_TRUE(Open(FormatHistory{long_name, {}}).ok());
  const auto refused = Open(FormatHistory{"f-1", {}});
  ASSERT_FALSE(refused.ok());
  EXPECT_LT(refused.status().message().size(), 300u) << refused.status();
}

}  // namespace
}  // namespace loyalty::ledger

// Members' personal data through gRPC on a real ledger: UpdateMember,
// SearchMembers, ExportMemberData and EraseMember, and what an erasure
// leaves on disk (README "Members' data").
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/support/data_files.h"
#include "tests/support/served_ledger.h"

namespace loyalty {
namespace {

struct Person {
  std::string id, name, email, phone, birth_date, card;
};

const Person kZelda = {
    "m-zelda",      "Zelda Quixotic", "zelda.quixotic@example.net",
    "+15550001234", "1977-11-29",     "CARD-998877"};

std::unique_ptr<grpc::ClientContext> Context() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(30));
  return context;
}

class MembersDataTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(served_.Start(testing::ServedOptions(
        testing::RulesYaml(100, 50, /*cashback_bp=*/200))));
  }

  v1::EnrollMemberResponse Enroll(const Person& person,
                                  const std::string& referral_code = "") {
    v1::EnrollMemberRequest request;
    request.set_request_id("enroll-" + person.id);
    request.set_referral_code(referral_code);
    v1::MemberProfile* profile = request.mutable_profile();
    profile->set_member_id(person.id);
    profile->set_display_name(person.name);
    profile->set_email(person.email);
    profile->set_phone(person.phone);
    profile->set_birth_date(person.birth_date);
    profile->set_card_number(person.card);
    v1::EnrollMemberResponse response;
    const grpc::Status status =
        served_.members().EnrollMember(Context().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  }

  grpc::Status Sale(const std::string& member, const std::string& order,
                    int64_t price_minor, v1::CommitPurchaseResponse* response) {
    v1::CommitPurchaseRequest request;
    request.set_request_id("sale-" + order);
    v1::Purchase* purchase = request.mutable_purchase();
    purchase->set_member_id(member);
    purchase->set_order_id(order);
    purchase->set_currency("EUR");
    v1::PurchaseLine* line = purchase->add_lines();
    line->set_sku("goods");
    line->set_quantity(1);
    line->set_unit_price_minor(price_minor);
    return served_.checkout().CommitPurchase(Context().get(), request,
                                             response);
  }

  grpc::Status Update(const std::string& request_id, const std::string& member,
                      const v1::MemberProfile& profile,
                      const std::vector<std::string>& paths,
                      v1::UpdateMemberResponse* response) {
    v1::UpdateMemberRequest request;
    request.set_request_id(request_id);
    request.set_member_id(member);
    *request.mutable_profile() = profile;
    for (const std::string& path : paths)
      request.mutable_update_mask()->add_paths(path);
    return served_.members().UpdateMember(Context().get(), request, response);
  }

  std::vector<std::string> Search(v1::SearchMembersRequest request) {
    std::vector<std::string> ids;
    for (int page = 0; page < 100; ++page) {
      v1::SearchMembersResponse response;
      const grpc::Status status =
          served_.members().SearchMembers(Context().get(), request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      for (const auto& member : response.members())
        ids.push_back(member.member_id());
      if (!status.ok() || response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    return ids;
  }

  v1::GetProgramMetricsResponse Metrics() {
    v1::GetProgramMetricsResponse response;
    EXPECT_TRUE(served_.audit()
                    .GetProgramMetrics(Context().get(),
                                       v1::GetProgramMetricsRequest(),
                                       &response)
                    .ok());
    return response;
  }

  void ExpectVerified() {
    v1::VerifyLedgerResponse response;
    ASSERT_TRUE(
        served_.audit()
            .VerifyLedger(Context().get(), v1::VerifyLedgerRequest(), &response)
            .ok());
    EXPECT_TRUE(response.ok()) << response.problem();
  }

  testing::ServedLedger served_;
};

TEST_F(MembersDataTest, UpdateChangesTheMaskedFieldsAndJournalsWhoButNoValue) {
  Enroll(kZelda);
  v1::MemberProfile change;
  change.set_email("z.q@example.org");
  change.set_region("north");
  change.set_display_name("ignored, not in the mask");
  v1::UpdateMemberResponse updated;
  const grpc::Status status =
      Update("update-1", kZelda.id, change, {"email", "region"}, &updated);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(updated.member().email(), "z.q@example.org");
  EXPECT_EQ(updated.member().region(), "north");
  EXPECT_EQ(updated.member().display_name(), kZelda.name);
  EXPECT_EQ(updated.member().phone(), kZelda.phone);

  v1::GetMemberRequest get;
  get.set_member_id(kZelda.id);
  v1::GetMemberResponse read;
  ASSERT_TRUE(served_.members().GetMember(Context().get(), get, &read).ok());
  EXPECT_EQ(read.member().email(), "z.q@example.org");
  EXPECT_EQ(read.member().birth_date(), kZelda.birth_date);
  EXPECT_EQ(read.member().card_number(), kZelda.card);

  v1::ListEntriesRequest list;
  list.set_member_id(kZelda.id);
  v1::ListEntriesResponse entries;
  ASSERT_TRUE(
      served_.members().ListEntries(Context().get(), list, &entries).ok());
  ASSERT_EQ(entries.entries_size(), 2);
  const v1::JournalEntry& entry = entries.entries(1);
  EXPECT_EQ(entry.kind(), v1::ENTRY_KIND_PROFILE_UPDATE);
  EXPECT_EQ(entry.actor(), "local");
  EXPECT_EQ(entry.description(), "profile changed: email, region");
  for (const v1::JournalEntry& any : entries.entries()) {
    const std::string bytes = any.SerializeAsString();
    for (const std::string& value :
         {kZelda.email, std::string("z.q@example.org"), kZelda.name,
          kZelda.phone}) {
      EXPECT_FALSE(absl::StrContains(bytes, value)) << value;
    }
  }

  v1::UpdateMemberResponse refused;
  grpc::Status unknown =
      Update("update-2", kZelda.id, change, {"tier"}, &refused);
  EXPECT_EQ(unknown.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(testing::DetailOf(unknown).field(), "update_mask.paths[0]");
  grpc::Status empty = Update("update-3", kZelda.id, change, {}, &refused);
  EXPECT_EQ(testing::DetailOf(empty).reason(), "MISSING_FIELD");
  grpc::Status nobody =
      Update("update-4", "nobody", change, {"email"}, &refused);
  EXPECT_EQ(nobody.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(MembersDataTest, SearchFindsExactValuesAndNamePrefixesPageByPage) {
  const std::vector<Person> people = {
      {"m1", "Ann Lee", "ann@example.com", "+44 20 7946 0001", "1990-04-23",
       "6001-0001"},
      {"m2", "Anna Berg", "anna@example.com", "+44 20 7946 0002", "",
       "6001-0002"},
      {"m3", "Annette Ray", "annette@example.com", "", "", ""},
      {"m4", "Bob Annan", "bob@example.com", "", "", ""},
      {"m5", "Carl Moe", "carl@example.com", "", "", ""}};
  for (const Person& person : people) Enroll(person);

  v1::SearchMembersRequest by_email;
  by_email.set_email("  ANN@Example.com ");
  EXPECT_EQ(Search(by_email), std::vector<std::string>{"m1"});
  v1::SearchMembersRequest by_phone;
  by_phone.set_phone("+44 (20) 7946-0001");
  EXPECT_EQ(Search(by_phone), std::vector<std::string>{"m1"});
  v1::SearchMembersRequest by_card;
  by_card.set_card_number("6001 0002");
  EXPECT_EQ(Search(by_card), std::vector<std::string>{"m2"});

  v1::SearchMembersRequest by_name;
  by_name.set_name_prefix("Ann");
  by_name.set_page_size(2);
  v1::SearchMembersResponse first;
  ASSERT_TRUE(
      served_.members().SearchMembers(Context().get(), by_name, &first).ok());
  EXPECT_EQ(first.members_size(), 2);
  EXPECT_FALSE(first.next_page_token().empty());
  EXPECT_EQ(first.members(0).email(), "ann@example.com");
  EXPECT_EQ(Search(by_name),
            (std::vector<std::string>{"m1", "m2", "m3", "m4"}));
  v1::SearchMembersRequest longer;
  longer.set_name_prefix("annette r");
  EXPECT_EQ(Search(longer), std::vector<std::string>{"m3"});

  // A token answers only the search that made it.
  v1::SearchMembersRequest other = by_email;
  other.set_page_token(first.next_page_token());
  v1::SearchMembersResponse refused;
  grpc::Status status =
      served_.members().SearchMembers(Context().get(), other, &refused);
  EXPECT_EQ(testing::DetailOf(status).reason(), "INVALID_PAGE_TOKEN");
  v1::SearchMembersRequest two = by_email;
  two.set_phone("+4420");
  status = served_.members().SearchMembers(Context().get(), two, &refused);
  EXPECT_EQ(testing::DetailOf(status).reason(), "ONE_SEARCH_FIELD");

  // The index follows an update in the same write.
  v1::MemberProfile change;
  change.set_email("ann.lee@example.org");
  v1::UpdateMemberResponse updated;
  ASSERT_TRUE(Update("update-ann", "m1", change, {"email"}, &updated).ok());
  EXPECT_TRUE(Search(by_email).empty());
  v1::SearchMembersRequest new_email;
  new_email.set_email("ann.lee@example.org");
  EXPECT_EQ(Search(new_email), std::vector<std::string>{"m1"});
}

TEST_F(MembersDataTest, ExportHoldsProfileBalancesHistoryFeedbackAndReferrals) {
  const v1::EnrollMemberResponse zelda = Enroll(kZelda);
  Enroll({"m-friend", "Friend", "friend@example.com", "", "", ""},
         zelda.member().referral_code());
  v1::CommitPurchaseResponse sale;
  ASSERT_TRUE(Sale(kZelda.id, "o-1", 2500, &sale).ok());
  v1::RecordFeedbackRequest feedback;
  feedback.set_request_id("feedback-1");
  feedback.mutable_feedback()->set_member_id(kZelda.id);
  feedback.mutable_feedback()->set_survey(v1::SURVEY_KIND_NPS);
  feedback.mutable_feedback()->set_score(9);
  v1::RecordFeedbackResponse recorded;
  ASSERT_TRUE(served_.program()
                  .RecordFeedback(Context().get(), feedback, &recorded)
                  .ok());

  v1::ExportMemberDataRequest request;
  request.set_member_id(kZelda.id);
  v1::ExportMemberDataResponse data;
  const grpc::Status status =
      served_.members().ExportMemberData(Context().get(), request, &data);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(data.profile().display_name(), kZelda.name);
  EXPECT_EQ(data.profile().email(), kZelda.email);
  EXPECT_EQ(data.balance().points_available(), 25);
  EXPECT_EQ(data.record().lots_size(), 1);
  std::set<v1::EntryKind> kinds;
  for (const auto& entry : data.entries()) kinds.insert(entry.kind());
  EXPECT_EQ(kinds, (std::set<v1::EntryKind>{v1::ENTRY_KIND_ENROLL,
                                            v1::ENTRY_KIND_PURCHASE,
                                            v1::ENTRY_KIND_FEEDBACK}));
  EXPECT_EQ(std::vector<std::string>(data.referred_member_ids().begin(),
                                     data.referred_member_ids().end()),
            std::vector<std::string>{"m-friend"});
}

TEST_F(MembersDataTest,
       ErasureLeavesNoPersonalByteOnDiskWhileTotalsAndVerifyHold) {
  Enroll(kZelda);
  Enroll({"m-bob", "Bob Keeper", "bob.keeper@example.com", "+15550009999", "",
          "CARD-1"});
  v1::CommitPurchaseResponse sale;
  ASSERT_TRUE(Sale(kZelda.id, "z-1", 4000, &sale).ok());
  ASSERT_TRUE(Sale("m-bob", "b-1", 3000, &sale).ok());
  v1::MemberProfile change;
  change.set_phone("+15550004321");
  v1::UpdateMemberResponse updated;
  ASSERT_TRUE(
      Update("update-zelda", kZelda.id, change, {"phone"}, &updated).ok());
  const v1::GetProgramMetricsResponse before = Metrics();

  v1::EraseMemberRequest erase;
  erase.set_request_id("erase-zelda");
  erase.set_member_id(kZelda.id);
  v1::EraseMemberResponse erased;
  grpc::Status status =
      served_.members().EraseMember(Context().get(), erase, &erased);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(erased.points_forfeited(), 40);
  ASSERT_EQ(erased.cashback_forfeited_size(), 1);
  EXPECT_EQ(erased.cashback_forfeited(0).amount_minor(), 80);

  // Totals: what was issued and sold stays; the forfeited points move from
  // the outstanding liability to breakage, to the point.
  const v1::GetProgramMetricsResponse after = Metrics();
  EXPECT_EQ(after.members(), before.members());
  EXPECT_EQ(after.outstanding_points(), before.outstanding_points() - 40);
  EXPECT_EQ(after.outstanding_liability_minor(),
            before.outstanding_liability_minor() - 40 - 80);
  ASSERT_EQ(after.rows_size(), before.rows_size());
  for (int i = 0; i < after.rows_size(); ++i) {
    EXPECT_EQ(after.rows(i).points_issued(), before.rows(i).points_issued());
    EXPECT_EQ(after.rows(i).revenue_minor(), before.rows(i).revenue_minor());
    EXPECT_EQ(after.rows(i).purchases(), before.rows(i).purchases());
  }
  ExpectVerified();

  // The id is spent: no second erasure, sale or enrollment under it.
  erase.set_request_id("erase-zelda-again");
  status = served_.members().EraseMember(Context().get(), erase, &erased);
  EXPECT_EQ(testing::DetailOf(status).reason(), "MEMBER_ERASED");
  EXPECT_EQ(testing::DetailOf(Sale(kZelda.id, "z-2", 1000, &sale)).reason(),
            "MEMBER_ERASED");
  v1::EnrollMemberRequest again;
  again.set_request_id("enroll-zelda-again");
  again.mutable_profile()->set_member_id(kZelda.id);
  v1::EnrollMemberResponse enrolled;
  status = served_.members().EnrollMember(Context().get(), again, &enrolled);
  EXPECT_EQ(testing::DetailOf(status).reason(), "MEMBER_ERASED");
  v1::SearchMembersRequest by_card;
  by_card.set_card_number(kZelda.card);
  EXPECT_TRUE(Search(by_card).empty());

  served_.Stop();
  ASSERT_NO_FATAL_FAILURE(testing::FlushAndCompact(served_.data_dir()));
  // The scan can see what is stored in the clear (the other member's id)...
  EXPECT_FALSE(testing::FilesHolding(served_.data_dir(), "m-bob").empty());
  // ...and finds no byte of the erased member's personal data.
  for (const std::string& needle :
       {kZelda.name, kZelda.email, kZelda.phone, std::string("+15550004321"),
        kZelda.birth_date, kZelda.card}) {
    EXPECT_EQ(testing::FilesHolding(served_.data_dir(), needle),
              std::vector<std::string>())
        << needle;
  }
  ASSERT_NO_FATAL_FAILURE(served_.Start(testing::ServedOptions(
      testing::RulesYaml(100, 50, /*cashback_bp=*/200))));
  ExpectVerified();
  EXPECT_EQ(Metrics().outstanding_points(), after.outstanding_points());
}

}  // namespace
}  // namespace loyalty

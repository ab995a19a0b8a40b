// `loyaltyctl events tail` and `events forward`, the real binaries against
// a real loyaltyd process: the backlog as text and JSON, a live tail, and a
// forwarder posting to a small HTTP receiver here that checks every
// signature, fails on purpose (a retry; a receiver down for a while), and
// sees every event exactly once across restarts thanks to the checkpoint.
#include <signal.h>

#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "tests/crash/child_process.h"
#include "tests/crash/loyaltyd_process.h"
#include "tests/support/temp_dir.h"

namespace loyalty {
namespace {

using testing::ReadWholeFile;

constexpr char kSecret[] = "a shared secret";

std::string Hmac(const std::string& body) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), kSecret, sizeof(kSecret) - 1,
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest,
       &length);
  return "sha256=" + absl::BytesToHexString(absl::string_view(
                         reinterpret_cast<const char*>(digest), length));
}

// A webhook receiver on 127.0.0.1: keeps the events it accepts (their ids
// in arrival order), refuses a bad signature with 401, and fails on purpose
// when told to.
class Receiver {
 public:
  Receiver() {
    server_.Post("/hook", [this](const httplib::Request& request,
                                 httplib::Response& response) {
      response.status = Answer(request);
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Receiver() {
    server_.stop();
    thread_.join();
  }

  std::string url() const {
    return absl::StrCat("http://127.0.0.1:", port_, "/hook");
  }
  // Fail the next `n` POSTs with 500.
  void FailNext(int n) {
    absl::MutexLock lock(&mu_);
    fail_next_ = n;
  }
  // Accept `n` more events, then answer 503 to everything.
  void AcceptOnly(int n) {
    absl::MutexLock lock(&mu_);
    accept_left_ = n;
  }
  std::vector<std::string> ids() const {
    absl::MutexLock lock(&mu_);
    return ids_;
  }
  std::vector<std::string> bodies() const {
    absl::MutexLock lock(&mu_);
    return bodies_;
  }
  int bad_signatures() const {
    absl::MutexLock lock(&mu_);
    return bad_signatures_;
  }
  int failed() const {
    absl::MutexLock lock(&mu_);
    return failed_;
  }

 private:
  int Answer(const httplib::Request& request) {
    absl::MutexLock lock(&mu_);
    if (request.get_header_value("X-Loyalty-Signature") != Hmac(request.body)) {
      ++bad_signatures_;
      return 401;
    }
    if (fail_next_ > 0) {
      --fail_next_;
      ++failed_;
      return 500;
    }
    if (accept_left_ == 0) {
      ++failed_;
      return 503;  // down
    }
    if (accept_left_ > 0) --accept_left_;
    ids_.push_back(request.get_header_value("X-Loyalty-Event-Id"));
    bodies_.push_back(request.body);
    return 204;
  }

  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  mutable absl::Mutex mu_;
  int fail_next_ ABSL_GUARDED_BY(mu_) = 0;
  int accept_left_ ABSL_GUARDED_BY(mu_) = -1;  // -1: no limit
  int failed_ ABSL_GUARDED_BY(mu_) = 0;
  int bad_signatures_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<std::string> ids_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> bodies_ ABSL_GUARDED_BY(mu_);
};

struct Ran {
  int exit_code = -1;
  std::string out;
  std::string err;
};

class EventsCtlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto started = testing::StartLoyaltyd(
        testing::LoyaltydArgs(dir_.Sub("data"), testing::DefaultRulesPath()),
        dir_.Sub("loyaltyd"));
    ASSERT_TRUE(started.ok()) << started.status();
    loyaltyd_ = *std::move(started);
    std::ofstream(dir_.Sub("secret")) << kSecret << "\n";
  }

  std::vector<std::string> Argv(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {LOYALTYCTL_PATH, "--server",
                                     absl::StrCat("127.0.0.1:", loyaltyd_.port),
                                     "--timeout", "60"};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  Ran Ctl(const std::vector<std::string>& args) {
    const std::string out = dir_.Sub(absl::StrCat("ctl-", ++runs_, ".out"));
    const std::string err = dir_.Sub(absl::StrCat("ctl-", runs_, ".err"));
    auto child = testing::ChildProcess::Start(Argv(args), out, err);
    Ran ran;
    if (!child.ok()) return ran;
    auto ended = (*child)->WaitFor(absl::Seconds(120));
    if (ended.has_value() && ended->exited) ran.exit_code = ended->exit_code;
    ran.out = ReadWholeFile(out);
    ran.err = ReadWholeFile(err);
    return ran;
  }

  void Sale(const std::string& order) {
    const Ran ran =
        Ctl({"checkout", "commit", "--member", "ann", "--order", order,
             "--line", "coffee:2:350:drinks", "--request-id", "sale-" + order});
    ASSERT_EQ(ran.exit_code, 0) << ran.err;
  }

  Ran Forward(const Receiver& receiver, std::vector<std::string> more = {}) {
    std::vector<std::string> args = {"events",        "forward",
                                     "--url",         receiver.url(),
                                     "--secret-file", dir_.Sub("secret"),
                                     "--checkpoint",  dir_.Sub("checkpoint")};
    args.insert(args.end(), more.begin(), more.end());
    return Ctl(args);
  }

  static std::vector<std::string> Lines(const std::string& text) {
    return absl::StrSplit(text, '\n', absl::SkipEmpty());
  }

  testing::TempDir dir_;
  testing::RunningLoyaltyd loyaltyd_;
  int runs_ = 0;
};

TEST_F(EventsCtlTest, TailPrintsTheBacklogAsTextAndJsonAndFollowsNewSales) {
  ASSERT_EQ(
      Ctl({"member", "enroll", "--id", "ann", "--request-id", "enroll-ann"})
          .exit_code,
      0);
  ASSERT_NO_FATAL_FAILURE(Sale("A-1"));
  ASSERT_NO_FATAL_FAILURE(Sale("A-2"));

  const Ran text = Ctl({"events", "tail"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  const std::vector<std::string> lines = Lines(text.out);
  ASSERT_EQ(lines.size(), 3u) << text.out;
  EXPECT_TRUE(absl::StrContains(lines[0], "member_enrolled  ann")) << lines[0];
  EXPECT_TRUE(absl::StartsWith(lines[1], "2.0  ")) << lines[1];
  EXPECT_TRUE(
      absl::StrContains(lines[1], "purchase_committed  ann  +7 pts  order A-1"))
      << lines[1];

  const Ran json = Ctl({"events", "tail", "--json", "--kind",
                        "purchase_committed", "--after", "2"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const std::vector<std::string> objects = Lines(json.out);
  ASSERT_EQ(objects.size(), 1u) << json.out;
  EXPECT_TRUE(absl::StrContains(objects[0], "\"orderId\":\"A-2\""))
      << objects[0];
  EXPECT_TRUE(absl::StrContains(objects[0],
                                "\"kind\":\"EVENT_KIND_PURCHASE_COMMITTED\""));

  const Ran bad = Ctl({"events", "tail", "--kind", "sale"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(absl::StrContains(bad.err, "purchase_committed")) << bad.err;

  // --follow: a sale made while it runs shows up, then it is stopped.
  const std::string out = dir_.Sub("follow.out");
  auto follow = testing::ChildProcess::Start(
      Argv({"events", "tail", "--follow", "--after", "3"}), out,
      dir_.Sub("follow.err"));
  ASSERT_TRUE(follow.ok());
  ASSERT_NO_FATAL_FAILURE(Sale("A-3"));
  const absl::Time deadline = absl::Now() + absl::Seconds(60);
  while (!absl::StrContains(ReadWholeFile(out), "order A-3") &&
         absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(absl::StrContains(ReadWholeFile(out), "4.0  "))
      << ReadWholeFile(out);
  EXPECT_EQ(Lines(ReadWholeFile(out)).size(), 1u);
  (*follow)->Signal(SIGTERM);
  (*follow)->WaitFor(absl::Seconds(30));
}

TEST_F(EventsCtlTest, ForwardSignsRetriesAndResumesFromItsCheckpoint) {
  Receiver receiver;
  ASSERT_EQ(
      Ctl({"member", "enroll", "--id", "ann", "--request-id", "enroll-ann"})
          .exit_code,
      0);
  for (int s = 1; s <= 5; ++s)
    ASSERT_NO_FATAL_FAILURE(Sale(absl::StrCat("A-", s)));

  // One failed POST is retried; then the receiver takes three events and
  // goes down: the forwarder gives up and keeps its place.
  receiver.FailNext(1);
  receiver.AcceptOnly(3);
  const Ran first = Forward(receiver, {"--max-attempts", "2"});
  EXPECT_EQ(first.exit_code, 1) << first.err;
  EXPECT_TRUE(absl::StrContains(first.err, "not delivered after 2 attempts"))
      << first.err;
  EXPECT_EQ(receiver.ids(), (std::vector<std::string>{"1.0", "2.0", "3.0"}));
  EXPECT_EQ(ReadWholeFile(dir_.Sub("checkpoint")), "3 0\n");

  // Back up: the restart posts the rest, none of the first three again.
  receiver.AcceptOnly(-1);
  const Ran second = Forward(receiver);
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(receiver.ids(), (std::vector<std::string>{"1.0", "2.0", "3.0",
                                                      "4.0", "5.0", "6.0"}));
  EXPECT_EQ(ReadWholeFile(dir_.Sub("checkpoint")), "6\n");

  // Later sales, a later run: only those.
  ASSERT_NO_FATAL_FAILURE(Sale("A-6"));
  const Ran third = Forward(receiver);
  EXPECT_EQ(third.exit_code, 0) << third.err;
  EXPECT_EQ(receiver.ids().size(), 7u);
  EXPECT_EQ(receiver.ids().back(), "7.0");
  EXPECT_TRUE(
      absl::StrContains(receiver.bodies().back(), "\"orderId\":\"A-6\""))
      << receiver.bodies().back();
  EXPECT_EQ(receiver.bad_signatures(), 0);
  EXPECT_GE(receiver.failed(), 2);  // the retried one, the refused ones

  // Another secret: the receiver refuses every POST.
  std::ofstream(dir_.Sub("secret")) << "not the secret\n";
  ASSERT_NO_FATAL_FAILURE(Sale("A-7"));
  const Ran wrong = Forward(receiver, {"--max-attempts", "1"});
  EXPECT_EQ(wrong.exit_code, 1);
  EXPECT_EQ(receiver.bad_signatures(), 1);
  EXPECT_EQ(receiver.ids().size(), 7u);
}

// The maintenance run's notice reaches the webhook like every event: with
// lots that live 20 days, a sale now is announced by `program expire` (the
// 30-day window) and forwarded as a signed points_expiring event.
TEST_F(EventsCtlTest, ForwardSendsTheMaintenanceRunsExpiryNotice) {
  Receiver receiver;
  std::ofstream(dir_.Sub("short-lived.yaml"))
      << ReadWholeFile(testing::DefaultRulesPath())
      << "\npoints:\n  lifetime_days: 20\n";
  const Ran loaded = Ctl({"rules", "load", dir_.Sub("short-lived.yaml"),
                          "--request-id", "rules-short"});
  ASSERT_EQ(loaded.exit_code, 0) << loaded.err;
  ASSERT_EQ(
      Ctl({"member", "enroll", "--id", "ann", "--request-id", "enroll-ann"})
          .exit_code,
      0);
  ASSERT_NO_FATAL_FAILURE(Sale("A-1"));
  const Ran expired = Ctl({"program", "expire", "--request-id", "run-1"});
  ASSERT_EQ(expired.exit_code, 0) << expired.err;
  EXPECT_TRUE(absl::StrContains(expired.out, "expiry notices   1"))
      << expired.out;

  const Ran forwarded =
      Forward(receiver, {"--kind", "points_expiring", "--member", "ann"});
  EXPECT_EQ(forwarded.exit_code, 0) << forwarded.err;
  ASSERT_EQ(receiver.bodies().size(), 1u);
  const std::string body = receiver.bodies().front();
  EXPECT_TRUE(
      absl::StrContains(body, "\"kind\":\"EVENT_KIND_POINTS_EXPIRING\""))
      << body;
  EXPECT_TRUE(absl::StrContains(body, "\"pointsExpiring\":\"7\"")) << body;
  EXPECT_TRUE(absl::StrContains(body, "\"expiring\":[{\"expireTime\"")) << body;
  EXPECT_EQ(receiver.bad_signatures(), 0);
}

}  // namespace
}  // namespace loyalty

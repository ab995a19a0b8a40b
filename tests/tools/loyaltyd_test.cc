// The real loyaltyd binary, driven by the real loyaltyctl binary: its log
// (events, request ids and key ids, JSON lines that parse, plain lines, and
// never a member's name, e-mail or birthday), --version of both binaries,
// --help, and the two flag spellings (--data-dir and --data_dir) in both.
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "engine/base/log.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "loyalty/v1/program.grpc.pb.h"
#include "tests/crash/child_process.h"
#include "tests/crash/loyaltyd_process.h"
#include "tests/support/temp_dir.h"

namespace loyalty {
namespace {

using testing::ChildProcess;
using testing::ReadWholeFile;

// What a member enrolls with: none of it may reach the log.
constexpr char kName[] = "Zebulon Quixotesque";
constexpr char kEmail[] = "zq.private.mail@example.org";
constexpr char kBirthDate[] = "1977-03-29";

struct Ran {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `program args...` to its end (at most a minute).
Ran RunProgram(const std::string& scratch, const std::string& program,
               const std::vector<std::string>& args) {
  static std::atomic<int> runs{0};
  const std::string base = absl::StrCat(scratch, "/run-", ++runs);
  std::vector<std::string> argv = {program};
  argv.insert(argv.end(), args.begin(), args.end());
  auto child = ChildProcess::Start(argv, base + ".out", base + ".err");
  Ran run;
  if (!child.ok()) return run;
  auto ended = (*child)->WaitFor(absl::Seconds(60));
  if (ended.has_value() && ended->exited) run.exit_code = ended->exit_code;
  run.out = ReadWholeFile(base + ".out");
  run.err = ReadWholeFile(base + ".err");
  return run;
}

std::string Printed(const Ran& run) {
  return absl::StrCat("exit ", run.exit_code, "\n--- stdout\n", run.out, "--- stderr\n",
                      run.err);
}

// The value of a "key   value" line printed by loyaltyctl, or "".
std::string Field(const std::string& out, const std::string& key) {
  for (absl::string_view line : absl::StrSplit(out, '\n')) {
    if (absl::StartsWith(line, key + "  ")) {
      return std::string(absl::StripAsciiWhitespace(line.substr(key.size())));
    }
  }
  return "";
}

// The key id of "lk_{key_id}_{secret}".
std::string KeyIdOf(const std::string& api_key) {
  std::vector<std::string> parts = absl::StrSplit(api_key, '_');
  return parts.size() == 3 ? parts[1] : "";
}

// One JSON line of the log, as field name -> text (numbers as printed).
using LogLine = std::map<std::string, std::string>;

LogLine ParseJsonLine(const std::string& line) {
  google::protobuf::Struct object;
  const auto status = google::protobuf::util::JsonStringToMessage(line, &object);
  EXPECT_TRUE(status.ok()) << status.ToString() << ": " << line;
  LogLine fields;
  for (const auto& [key, value] : object.fields()) {
    fields[key] = value.has_string_value() ? value.string_value()
                                           : absl::StrCat(value.number_value());
  }
  return fields;
}

// Program.ValidateRules on the server, called directly: loyaltyctl's
// `rules validate` may check a file offline, without a server.
grpc::Status ValidateOnServer(int port, const std::string& api_key,
                              const std::string& rules_path) {
  auto stub = loyalty::v1::Program::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", port), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  context.AddMetadata("x-api-key", api_key);
  loyalty::v1::ValidateRulesRequest request;
  request.set_file_name("default.yaml");
  request.set_yaml(ReadWholeFile(rules_path));
  loyalty::v1::ValidateRulesResponse response;
  return stub->ValidateRules(&context, request, &response);
}

// gRPC's own log lines ("E1204 21:30:00.123 ...") share loyaltyd's stderr.
bool IsGrpcLibraryLine(absl::string_view line) {
  return line.size() > 5 && absl::StrContains("EWID", line.substr(0, 1)) &&
         absl::ascii_isdigit(static_cast<unsigned char>(line[1])) &&
         absl::ascii_isdigit(static_cast<unsigned char>(line[4]));
}

class LoyaltydTest : public ::testing::Test {
 protected:
  // Starts loyaltyd with API keys on and the extra flags.
  void Start(const std::vector<std::string>& flags) {
    std::vector<std::string> args = {LOYALTYD_PATH, "--rules=" + testing::DefaultRulesPath(),
                                     "--listen=127.0.0.1:0", "--plaintext", "--auth=keys"};
    args.insert(args.end(), flags.begin(), flags.end());
    auto started = testing::StartLoyaltyd(args, dir_.Sub("loyaltyd"));
    ASSERT_TRUE(started.ok()) << started.status();
    loyaltyd_ = *std::move(started);
  }

  // Stops loyaltyd with SIGTERM; returns its stderr (the log).
  std::string Stop() {
    loyaltyd_.process->Signal(SIGTERM);
    auto ended = loyaltyd_.process->WaitFor(absl::Seconds(60));
    EXPECT_TRUE(ended.has_value() && ended->exited && ended->exit_code == 0)
        << (ended ? ended->ToString() : "still running");
    return ReadWholeFile(loyaltyd_.process->stderr_path());
  }

  Ran Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), {"--server", absl::StrCat("127.0.0.1:", loyaltyd_.port),
                               "--timeout", "60"});
    return RunProgram(dir_.path(), LOYALTYCTL_PATH, args);
  }
  std::string Ok(std::vector<std::string> args) {
    const Ran run = Ctl(std::move(args));
    EXPECT_EQ(run.exit_code, 0) << Printed(run);
    return run.out;
  }

  testing::TempDir dir_;
  testing::RunningLoyaltyd loyaltyd_;
};

TEST_F(LoyaltydTest, JsonLogHoldsEveryEventWithIdsAndNoPersonalData) {
  const std::string data = dir_.Sub("data");
  // Both spellings of loyaltyd's flags.
  Start({"--data-dir=" + data, "--log-level=debug", "--log_format=json"});
  const std::string admin_file = data + "/ADMIN_KEY";
  const std::string admin_key(absl::StripAsciiWhitespace(ReadWholeFile(admin_file)));
  const std::string admin_id = KeyIdOf(admin_key);
  ASSERT_FALSE(admin_id.empty());

  // A till's key, through loyaltyctl's underscore spelling of --api-key-file.
  const std::string created = Ok({"--api_key_file", admin_file, "key", "create", "--role",
                                  "pos", "--name", "till-7", "--request_id", "key-till-7"});
  const std::string pos_key = Field(created, "api key");
  const std::string pos_id = Field(created, "key id");
  ASSERT_EQ(KeyIdOf(pos_key), pos_id) << created;
  const std::vector<std::string> as_pos = {"--api-key", pos_key};
  const std::vector<std::string> as_admin = {"--api-key-file", admin_file};
  auto with = [](std::vector<std::string> who, std::vector<std::string> args) {
    who.insert(who.end(), args.begin(), args.end());
    return who;
  };
  Ok(with(as_pos, {"member", "enroll", "--id", "m-77", "--name", kName, "--email", kEmail,
                   "--birth-date", kBirthDate, "--request-id", "enroll-m-77"}));
  const std::vector<std::string> sale = {"checkout", "commit", "--member", "m-77", "--order",
                                         "O-1", "--line", "tea:1:1200",
                                         "--request-id", "sale-O-1"};
  Ok(with(as_pos, sale));
  std::vector<std::string> other_basket = sale;
  other_basket[7] = "tea:2:1200";
  EXPECT_EQ(Ctl(with(as_pos, other_basket)).exit_code, 1);  // REQUEST_ID_REUSED
  EXPECT_EQ(Ctl(with(as_pos, {"program", "expire", "--request-id", "not-a-till-job"})).exit_code,
            1);  // PERMISSION_DENIED
  const std::string rules = testing::DefaultRulesPath();
  EXPECT_TRUE(ValidateOnServer(loyaltyd_.port, admin_key, rules).ok());
  Ok(with(as_admin, {"rules", "load", rules, "--request-id", "rules-load-1"}));
  Ok(with(as_admin, {"backup", "create", "--dir", dir_.Sub("backup")}));
  Ok(with(as_admin, {"export", "--from", "2020-01-01", "--format", "jsonl", "--out",
                     dir_.Sub("export.jsonl")}));
  Ok(with(as_admin, {"program", "expire", "--request-id", "run-1"}));
  Ok(with(as_admin, {"key", "revoke", pos_id, "--request-id", "revoke-till-7"}));
  const std::string log = Stop();

  std::vector<LogLine> lines;
  for (const std::string& line :
       std::vector<std::string>(absl::StrSplit(log, '\n', absl::SkipEmpty()))) {
    if (IsGrpcLibraryLine(line)) continue;
    ASSERT_TRUE(absl::StartsWith(line, "{\"time\":")) << line;
    lines.push_back(ParseJsonLine(line));
    EXPECT_TRUE(lines.back().count("level") && lines.back().count("event")) << line;
  }
  // The line of `event` whose request id is `request_id`, or an empty one.
  auto find = [&](const std::string& event, const std::string& request_id) {
    for (const LogLine& line : lines) {
      if (line.at("event") == event && line.count("request_id") &&
          line.at("request_id") == request_id) {
        return line;
      }
    }
    ADD_FAILURE() << "no " << event << " with request id " << request_id << "\n" << log;
    return LogLine{};
  };
  EXPECT_EQ(find("api_key_created", "")["new_key_id"], admin_id);  // at first start
  EXPECT_EQ(find("api_key_created", "key-till-7")["key_id"], admin_id);
  EXPECT_EQ(find("api_key_created", "key-till-7")["new_key_id"], pos_id);
  LogLine reused = find("call_refused", "sale-O-1");
  EXPECT_EQ(reused["key_id"], pos_id);
  EXPECT_EQ(reused["reason"], "REQUEST_ID_REUSED");
  EXPECT_EQ(reused["level"], "debug");
  LogLine denied = find("call_refused", "not-a-till-job");
  EXPECT_EQ(denied["key_id"], pos_id);
  EXPECT_EQ(denied["code"], "PERMISSION_DENIED");
  EXPECT_EQ(find("rules_validated", "")["key_id"], admin_id);
  LogLine loaded = find("rules_loaded", "rules-load-1");
  EXPECT_EQ(loaded["key_id"], admin_id);
  EXPECT_EQ(loaded["version"].size(), 16u) << log;
  EXPECT_EQ(loaded["level"], "info");
  EXPECT_EQ(find("backup_created", "")["key_id"], admin_id);
  LogLine exported = find("export_started", "");
  EXPECT_EQ(exported["key_id"], admin_id);
  EXPECT_TRUE(absl::EndsWith(exported["from_time"], "Z")) << log;  // a UTC time
  EXPECT_EQ(exported["to_time"], "");
  EXPECT_EQ(find("maintenance_started", "run-1")["key_id"], admin_id);
  EXPECT_EQ(find("maintenance_page", "run-1")["level"], "debug");
  EXPECT_EQ(find("maintenance_finished", "run-1")["members_scanned"], "1");
  EXPECT_EQ(find("api_key_revoked", "revoke-till-7")["revoked_key_id"], pos_id);

  // Nothing of the member's profile, in any piece.
  const std::string stdout_text = ReadWholeFile(loyaltyd_.process->stdout_path());
  for (const std::string& secret :
       {std::string(kName), std::string("Zebulon"), std::string("Quixotesque"),
        std::string(kEmail), std::string("zq.private"), std::string(kBirthDate),
        std::string("1977")}) {
    EXPECT_FALSE(absl::StrContains(log, secret)) << secret << "\n" << log;
    EXPECT_FALSE(absl::StrContains(stdout_text, secret)) << secret;
  }
}

TEST_F(LoyaltydTest, PlainLogIsOneLinePerEventAtTheChosenLevel) {
  Start({"--data_dir=" + dir_.Sub("data"), "--log_level=info"});
  const std::string admin_file = dir_.Sub("data") + "/ADMIN_KEY";
  EXPECT_EQ(Ctl({"member", "balance", "nobody", "--api-key-file", admin_file}).exit_code, 1);
  Ok({"rules", "load", testing::DefaultRulesPath(), "--request-id", "load-1", "--api-key-file",
      admin_file});
  const std::string log = Stop();
  std::vector<std::string> lines;
  for (const std::string& line :
       std::vector<std::string>(absl::StrSplit(log, '\n', absl::SkipEmpty()))) {
    if (!IsGrpcLibraryLine(line)) lines.push_back(line);
  }
  ASSERT_GE(lines.size(), 3u) << log;
  // The first admin key, created at first start, then the start itself.
  EXPECT_TRUE(absl::StrContains(lines[0], "Z INFO api_key_created rpc=CreateApiKey")) << log;
  EXPECT_TRUE(absl::StrContains(lines[1], "Z INFO server_started version=")) << log;
  EXPECT_TRUE(absl::StrContains(log, " INFO rules_loaded rpc=LoadRules request_id=load-1 "
                                     "key_id=" + KeyIdOf(std::string(absl::StripAsciiWhitespace(
                                                     ReadWholeFile(admin_file))))))
      << log;
  EXPECT_FALSE(absl::StrContains(log, "call_refused")) << log;  // debug only
  EXPECT_TRUE(absl::StrContains(lines.back(), " INFO server_stopped")) << log;
  for (const std::string& line : lines) {
    EXPECT_EQ(line.substr(4, 1) + line.substr(23, 2), "-Z ") << line;  // 2026-...123Z
  }
  const Ran bad = RunProgram(dir_.path(), LOYALTYD_PATH,
                             {"--data-dir", dir_.Sub("other"), "--plaintext",
                              "--log-level=loud"});
  EXPECT_EQ(bad.exit_code, 2) << Printed(bad);
  EXPECT_TRUE(absl::StrContains(bad.err, "log level must be error, warn, info or debug"))
      << bad.err;
}

TEST_F(LoyaltydTest, BothBinariesPrintTheBuildVersion) {
  const Ran server = RunProgram(dir_.path(), LOYALTYD_PATH, {"--version"});
  const Ran client = RunProgram(dir_.path(), LOYALTYCTL_PATH, {"--version"});
  ASSERT_EQ(server.exit_code, 0) << Printed(server);
  ASSERT_EQ(client.exit_code, 0) << Printed(client);
  ASSERT_TRUE(absl::StartsWith(server.out, "loyaltyd ")) << server.out;
  ASSERT_TRUE(absl::StartsWith(client.out, "loyaltyctl ")) << client.out;
  const std::string version(absl::StripAsciiWhitespace(server.out.substr(9)));
  EXPECT_FALSE(version.empty());
  EXPECT_EQ(version.find(' '), std::string::npos) << version;
  EXPECT_EQ(client.out, "loyaltyctl " + version + "\n");
  // Also after a verb, like --help.
  EXPECT_EQ(RunProgram(dir_.path(), LOYALTYCTL_PATH, {"member", "get", "--version"}).out,
            client.out);
}

TEST_F(LoyaltydTest, HelpShowsTheDashedSpellingOfEveryFlag) {
  const Ran help = RunProgram(dir_.path(), LOYALTYD_PATH, {"--help"});
  ASSERT_EQ(help.exit_code, 0) << Printed(help);
  for (const char* flag :
       {"\n  --data-dir  (default: var/loyalty)", "\n  --tls-cert-file ", "\n  --upkeep-every ",
        "\n  --log-level  (default: info)", "\n  --log-format  (default: plain)",
        "\n  --admin-key-file ", "\n  --version\n"}) {
    EXPECT_TRUE(absl::StrContains(help.out, flag)) << flag << "\n" << help.out;
  }
  EXPECT_FALSE(absl::StrContains(help.out, "\n  --data_dir")) << help.out;

  // loyaltyctl reads underscores as dashes, for every flag.
  const Ran restore = RunProgram(dir_.path(), LOYALTYCTL_PATH,
                                 {"backup", "restore", "--from", dir_.Sub("none"),
                                  "--data_dir", dir_.Sub("restored")});
  EXPECT_EQ(restore.exit_code, 1) << Printed(restore);  // no backup there, but parsed
  EXPECT_FALSE(absl::StrContains(restore.err, "unknown flag")) << restore.err;
  const Ran unknown = RunProgram(dir_.path(), LOYALTYCTL_PATH,
                                 {"backup", "restore", "--from", "x", "--data_dirt", "y"});
  EXPECT_EQ(unknown.exit_code, 2) << Printed(unknown);
}

TEST(LogLineTest, AValueNeverBreaksItsLineAndLongOnesAreCut) {
  const std::string tricky = "a \"quoted\" word\nnext=line\\";
  const std::string longer(500, 'x');
  const LogField fields[] = {{"text", tricky}, {"count", int64_t{-42}}, {"long", longer}};
  const Logger plain(LoggerOptions{LogLevel::kDebug, LogFormat::kPlain, -1});
  const std::string line = plain.Format(LogLevel::kWarn, "odd_event", fields);
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  EXPECT_TRUE(absl::StrContains(line,
                                " WARN odd_event text=\"a \\\"quoted\\\" word\\u000anext=line\\\\\""
                                " count=-42 long=" + std::string(kMaxLogValueBytes, 'x') + "..."))
      << line;

  const Logger json(LoggerOptions{LogLevel::kDebug, LogFormat::kJson, -1});
  const LogLine parsed = ParseJsonLine(json.Format(LogLevel::kError, "odd_event", fields));
  EXPECT_EQ(parsed.at("level"), "error");
  EXPECT_EQ(parsed.at("event"), "odd_event");
  EXPECT_EQ(parsed.at("text"), tricky);
  EXPECT_EQ(parsed.at("count"), "-42");
  EXPECT_EQ(parsed.at("long").size(), kMaxLogValueBytes + 3);
  EXPECT_FALSE(json.Enabled(LogLevel::kError));  // fd -1 writes nothing
}

}  // namespace
}  // namespace loyalty

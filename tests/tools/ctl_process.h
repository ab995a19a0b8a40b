// Runs the real loyaltyctl binary (LOYALTYCTL_PATH), or another program, as
// a child process and captures its exit status, stdout and stderr. The child's
// environment is the test's own without any LOYALTY_* variable, plus what the
// test adds, so that a developer's shell settings cannot change the outcome.
#ifndef LOYALTY_TESTS_TOOLS_CTL_PROCESS_H_
#define LOYALTY_TESTS_TOOLS_CTL_PROCESS_H_

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"

extern char** environ;

namespace loyalty::testing {

struct CtlResult {
  int exit_code = -1;  // -1: the child did not exit normally
  std::string out;
  std::string err;
};

inline std::string ReadWholeFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// The test's environment without LOYALTY_*, then `extra` ("NAME=value").
inline std::vector<std::string> ChildEnvironment(
    const std::vector<std::string>& extra) {
  std::vector<std::string> env;
  for (char** entry = environ; *entry != nullptr; ++entry) {
    if (!absl::StartsWith(*entry, "LOYALTY_")) env.emplace_back(*entry);
  }
  env.insert(env.end(), extra.begin(), extra.end());
  return env;
}

inline std::vector<char*> PointersTo(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& text : strings) pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

// Runs `program args...`; stdout and stderr go to files in `scratch_dir`
// (files, not pipes: nothing can fill up and block the child).
inline CtlResult RunProgram(const std::string& program,
                            const std::string& scratch_dir,
                            const std::vector<std::string>& args,
                            const std::vector<std::string>& extra_env = {}) {
  static std::atomic<int> runs{0};
  const std::string base = absl::StrCat(scratch_dir, "/ctl-", ++runs);
  const std::string out_path = base + ".out";
  const std::string err_path = base + ".err";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::string> argv = {program};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> env = ChildEnvironment(extra_env);
  pid_t pid = 0;
  const int spawned =
      posix_spawn(&pid, program.c_str(), &actions, nullptr,
                  PointersTo(argv).data(), PointersTo(env).data());
  posix_spawn_file_actions_destroy(&actions);
  CtlResult result;
  if (spawned != 0) {
    result.err = absl::StrCat("posix_spawn: ", std::strerror(spawned));
    return result;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  result.out = ReadWholeFile(out_path);
  result.err = ReadWholeFile(err_path);
  return result;
}

// Runs `loyaltyctl args...` (LOYALTYCTL_PATH), as RunProgram.
inline CtlResult RunCtl(const std::string& scratch_dir,
                        const std::vector<std::string>& args,
                        const std::vector<std::string>& extra_env = {}) {
  return RunProgram(LOYALTYCTL_PATH, scratch_dir, args, extra_env);
}

// For failure messages: everything the child printed.
inline std::string Printed(const CtlResult& result) {
  return absl::StrCat("exit ", result.exit_code, "\n--- stdout\n", result.out,
                      "--- stderr\n", result.err);
}

// "member enroll", "verify", ... from the verb list of `loyaltyctl --help`
// (its lines are "  member get ID    summary").
inline std::vector<std::string> VerbsOf(const std::string& help) {
  std::vector<std::string> verbs;
  const size_t start = help.find("Verbs:\n");
  if (start == std::string::npos) return verbs;
  for (absl::string_view line : absl::StrSplit(help.substr(start + 7), '\n')) {
    if (!absl::StartsWith(line, "  ")) break;
    const absl::string_view name = line.substr(2, line.find("  ", 2) - 2);
    std::vector<std::string> words;
    for (absl::string_view word : absl::StrSplit(name, ' ')) {
      // Positional arguments: "ID", "[FILE]", "KEY_ID".
      if (word.empty() || word[0] == '[' ||
          absl::ascii_isupper(static_cast<unsigned char>(word[0])))
        break;
      words.emplace_back(word);
    }
    verbs.push_back(absl::StrJoin(words, " "));
  }
  return verbs;
}

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_TOOLS_CTL_PROCESS_H_

// Names for the threads the engine starts ("ledger-worker-1", "audit-worker",
// ...), so that `top -H`, perf, gdb and /proc/<pid>/task/*/comm show them.
// Name a thread on the line after it starts:
//
//   completer_ = std::thread([this] { CompletionLoop(); });
//   NameThread(completer_, "ledger-complete");
//
// Linux keeps at most 15 bytes of a name; a longer one is cut to 15 (names
// are written to fit). Naming is a diagnostic aid: a failure (the thread has
// already ended) is ignored. Thread-safe.
#ifndef LOYALTY_ENGINE_BASE_THREAD_NAME_H_
#define LOYALTY_ENGINE_BASE_THREAD_NAME_H_

#include <string>
#include <thread>

#include "absl/strings/string_view.h"

namespace loyalty {

// The most bytes of a thread name the kernel keeps.
inline constexpr size_t kMaxThreadNameBytes = 15;

// Names `thread` (which must be joinable), cut to kMaxThreadNameBytes.
void NameThread(std::thread& thread, absl::string_view name);

// The name the kernel holds for `thread` (which must be joinable); empty if
// it cannot be read.
std::string ThreadName(std::thread& thread);

}  // namespace loyalty

#endif  // LOYALTY_ENGINE_BASE_THREAD_NAME_H_

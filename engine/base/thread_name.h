// Threads the engine starts, each with a name that `top -H`, perf, gdb and
// /proc/<pid>/task/*/comm show ("ledger-writer", "audit-worker", ...).
//
//   writer_ = StartNamedThread("ledger-writer", [this] { WriterLoop(); });
//
// The thread names itself before it runs its function, so the name is in place for
// everything the thread does. Linux keeps at most 15 bytes of a name; a
// longer one is cut to 15 (and names are written to fit). Thread-safe.
#ifndef LOYALTY_ENGINE_BASE_THREAD_NAME_H_
#define LOYALTY_ENGINE_BASE_THREAD_NAME_H_

#include <functional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

#include "absl/strings/string_view.h"

namespace loyalty {

// The most bytes of a thread name the kernel keeps.
inline constexpr size_t kMaxThreadNameBytes = 15;

// Names the calling thread (cut to kMaxThreadNameBytes). Naming is a
// diagnostic aid: a failure is ignored.
void NameThisThread(absl::string_view name);

// The calling thread's name, as the kernel holds it.
std::string ThisThreadName();

// A std::thread that names itself `name`, then runs `function(args...)`;
// `function` and `args` are copied or moved into the thread, as std::thread
// does.
template <typename Function, typename... Args>
std::thread StartNamedThread(absl::string_view name, Function&& function,
                             Args&&... args) {
  return std::thread(
      [name = std::string(name)](std::decay_t<Function> body,
                                 std::decay_t<Args>... arguments) {
        NameThisThread(name);
        std::invoke(std::move(body), std::move(arguments)...);
      },
      std::forward<Function>(function), std::forward<Args>(args)...);
}

}  // namespace loyalty

#endif  // LOYALTY_ENGINE_BASE_THREAD_NAME_H_

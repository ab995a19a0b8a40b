#include "engine/base/thread_name.h"

#include <pthread.h>

namespace loyalty {

void NameThread(std::thread& thread, absl::string_view name) {
  const std::string cut(name.substr(0, kMaxThreadNameBytes));
  // Fails for a name over 15 bytes (`cut` never is) or a thread that has
  // already ended; neither is worth more than a missing name.
  (void)pthread_setname_np(thread.native_handle(), cut.c_str());
}

std::string ThreadName(std::thread& thread) {
  char name[kMaxThreadNameBytes + 1] = {};
  if (pthread_getname_np(thread.native_handle(), name, sizeof(name)) != 0) {
    return "";
  }
  return name;
}

}  // namespace loyalty

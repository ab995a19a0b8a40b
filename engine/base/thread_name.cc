#include "engine/base/thread_name.h"

#include <pthread.h>

namespace loyalty {

void NameThisThread(absl::string_view name) {
  std::string cut(name.substr(0, kMaxThreadNameBytes));
  // Fails only for a name over 15 bytes, which `cut` never is.
  (void)pthread_setname_np(pthread_self(), cut.c_str());
}

std::string ThisThreadName() {
  char name[kMaxThreadNameBytes + 1] = {};
  if (pthread_getname_np(pthread_self(), name, sizeof(name)) != 0) return "";
  return name;
}

}  // namespace loyalty

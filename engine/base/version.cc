#include "engine/base/version.h"

#include "build_version.h"  // generated: cmake/build_version.cmake

namespace loyalty {

const char* BuildVersion() { return LOYALTY_BUILD_VERSION; }

}  // namespace loyalty

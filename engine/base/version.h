// The version of this build: `git describe --always --dirty` of the source
// tree when it was built (e.g. "v0.1.0-12-g8659d6d-dirty", or a bare commit
// "8659d6d" without tags), or the project version ("0.1.0") when built
// outside a git checkout. What `--version` prints.
#ifndef LOYALTY_ENGINE_BASE_VERSION_H_
#define LOYALTY_ENGINE_BASE_VERSION_H_

namespace loyalty {

const char* BuildVersion();

}  // namespace loyalty

#endif  // LOYALTY_ENGINE_BASE_VERSION_H_

// The web console (engine/server/console/) on the HTTP door: plain HTML,
// CSS and JavaScript for marketing staff and auditors, compiled into
// loyaltyd at build time (console/embed.cmake writes them into a generated
// source file, with Debian's Chart.js), so nothing is read from disk or
// fetched from anywhere when it is served.
//
//   GET /                   the console's page (console/index.html)
//   GET /console/{file}     its scripts, style sheet and Chart.js
//   GET /console/session    who the API key in the request is: its role,
//                           partner and the RPCs its role may call (auth.h's
//                           table), so the console shows each role what it
//                           may do, and the default adjustment reasons
//                           (engine/program/reasons.h); 401 for a key the
//                           server does not take.
//
// The console signs in with an API key that the browser keeps in the tab's
// session storage and sends as `Authorization: Bearer ...` with every call
// of the HTTP/JSON API (http_api.h), which decides, as for any client, what
// the key may do. The pages carry a Content-Security-Policy that allows
// only the console's own files (no inline script, no other origin).
#ifndef LOYALTY_ENGINE_SERVER_CONSOLE_ASSETS_H_
#define LOYALTY_ENGINE_SERVER_CONSOLE_ASSETS_H_

#include <cstddef>

#include "absl/strings/string_view.h"
#include "engine/server/auth.h"
#include "engine/server/http_door.h"

namespace loyalty::server {

// One file of the console, as compiled in.
struct ConsoleAsset {
  const char* name;  // "index.html", "console.js", "chart.min.js", ...
  const unsigned char* bytes;
  size_t size;
};

// Every file, from the generated source (console/embed.cmake).
extern const ConsoleAsset kConsoleAssets[];
extern const size_t kConsoleAssetCount;

// The Content-Type a file is served with, from its name's extension.
absl::string_view ConsoleContentType(absl::string_view name);

// Mounts the console's routes (above) on `door`, before it listens.
// `authorizer` (not owned) outlives the door.
void MountConsole(HttpDoor* door, const Authorizer* authorizer);

}  // namespace loyalty::server

#endif  // LOYALTY_ENGINE_SERVER_CONSOLE_ASSETS_H_

// A throw-away certificate authority with a server and a client certificate,
// made with the openssl command for one test and deleted with its TempDir.
#ifndef LOYALTY_TESTS_SUPPORT_TLS_FILES_H_
#define LOYALTY_TESTS_SUPPORT_TLS_FILES_H_

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "tests/support/temp_dir.h"

namespace loyalty::testing {

class TlsFiles {
 public:
  // Returns false (and the test should fail) when openssl is missing.
  bool Make() {
    const std::string d = dir_.path();
    const std::string key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    std::ofstream(d + "/san.ext") << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
    return Run("openssl req -x509 " + key + " -keyout " + d + "/ca.key -out " + d +
               "/ca.pem -days 2 -subj /CN=loyalty-test-ca") &&
           Sign("server", true) && Sign("client", false);
  }

  std::string Path(const std::string& name) const { return dir_.Sub(name); }
  std::string Read(const std::string& name) const {
    std::ifstream file(Path(name));
    std::stringstream text;
    text << file.rdbuf();
    return text.str();
  }

 private:
  static bool Run(const std::string& command) {
    return std::system((command + " > /dev/null 2>&1").c_str()) == 0;
  }

  bool Sign(const std::string& name, bool with_san) {
    const std::string d = dir_.path();
    return Run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 "
               "-nodes -keyout " + d + "/" + name + ".key -out " + d + "/" +
               name + ".csr -subj /CN=" + name) &&
           Run("openssl x509 -req -in " + d + "/" + name + ".csr -CA " + d +
               "/ca.pem -CAkey " + d + "/ca.key -CAcreateserial -days 2 -out " +
               d + "/" + name + ".pem" +
               (with_san ? " -extfile " + d + "/san.ext" : ""));
  }

  TempDir dir_;
};

}  // namespace loyalty::testing

#endif  // LOYALTY_TESTS_SUPPORT_TLS_FILES_H_

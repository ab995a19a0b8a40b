#include "client.h"

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <random>

#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace loyaltyctl {
namespace {

// The metadata key the server reads (kApiKeyHeader in engine/server/auth.h).
constexpr char kApiKeyHeader[] = "x-api-key";
// An API key is about 70 characters; a PEM chain a few kilobytes.
constexpr size_t kMaxKeyFileBytes = 4096;
constexpr size_t kMaxPemFileBytes = size_t{1} << 20;

// The whole of a small file given by --`flag`.
absl::StatusOr<std::string> ReadSmallFile(const std::string& flag,
                                          const std::string& path,
                                          size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in.is_open()) {
    return absl::ErrnoToStatus(errno,
                               absl::StrCat("cannot read --", flag, " ", path));
  }
  std::string text;
  text.resize(max_bytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) {
    return absl::UnavailableError(
        absl::StrCat("cannot read --", flag, " ", path));
  }
  text.resize(static_cast<size_t>(in.gcount()));
  if (text.size() > max_bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--", flag, " ", path, " is larger than ", max_bytes, " bytes"));
  }
  if (text.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, " ", path, " is empty"));
  }
  return text;
}

// gRPC sends only printable ASCII in metadata; a key never holds a space.
absl::Status CheckApiKey(const std::string& api_key, const std::string& from) {
  for (char c : api_key) {
    if (c <= ' ' || c > '~') {
      return absl::InvalidArgumentError(absl::StrCat(
          "the API key from ", from,
          " holds a space or a control character; expected lk_{id}_{secret}"));
    }
  }
  return absl::OkStatus();
}

absl::Status LoadApiKey(GlobalOptions* global) {
  std::string from = "--api-key or $LOYALTY_API_KEY";
  if (!global->api_key_file.empty()) {
    absl::StatusOr<std::string> text =
        ReadSmallFile("api-key-file", global->api_key_file, kMaxKeyFileBytes);
    if (!text.ok()) return text.status();
    global->api_key = std::string(absl::StripTrailingAsciiWhitespace(*text));
    from = global->api_key_file;
  }
  return CheckApiKey(global->api_key, from);
}

absl::Status LoadPem(const std::string& flag, const std::string& path,
                     std::string* pem) {
  if (path.empty()) return absl::OkStatus();
  absl::StatusOr<std::string> text =
      ReadSmallFile(flag, path, kMaxPemFileBytes);
  if (!text.ok()) return text.status();
  *pem = *std::move(text);
  return absl::OkStatus();
}

std::shared_ptr<grpc::ChannelCredentials> ChannelCredentials(
    const GlobalOptions& global) {
  if (global.tls_ca_file.empty()) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = global.tls_ca_pem;
  ssl.pem_cert_chain = global.tls_cert_pem;
  ssl.pem_private_key = global.tls_key_pem;
  return grpc::SslCredentials(ssl);
}

void SetDeadlineSeconds(double seconds, grpc::ClientContext* context) {
  const auto budget = std::chrono::milliseconds(std::llround(seconds * 1000.0));
  context->set_deadline(std::chrono::system_clock::now() + budget);
}

void AddApiKey(const GlobalOptions& global, grpc::ClientContext* context) {
  if (!global.api_key.empty()) {
    context->AddMetadata(kApiKeyHeader, global.api_key);
  }
}

}  // namespace

absl::Status LoadCredentials(GlobalOptions* global) {
  if (absl::Status status = LoadApiKey(global); !status.ok()) return status;
  if (absl::Status status =
          LoadPem("tls-ca", global->tls_ca_file, &global->tls_ca_pem);
      !status.ok()) {
    return status;
  }
  if (absl::Status status =
          LoadPem("tls-cert", global->tls_cert_file, &global->tls_cert_pem);
      !status.ok()) {
    return status;
  }
  return LoadPem("tls-key", global->tls_key_file, &global->tls_key_pem);
}

std::shared_ptr<grpc::Channel> MakeChannel(const GlobalOptions& global) {
  grpc::ChannelArguments arguments;
  if (!global.tls_server_name.empty()) {
    arguments.SetString(GRPC_SSL_TARGET_NAME_OVERRIDE_ARG,
                        global.tls_server_name);
  }
  return grpc::CreateCustomChannel(global.server, ChannelCredentials(global),
                                   arguments);
}

void PrepareCall(const GlobalOptions& global, grpc::ClientContext* context) {
  SetDeadlineSeconds(global.timeout_seconds, context);
  AddApiKey(global, context);
}

void PrepareLongCall(const GlobalOptions& global, double default_seconds,
                     grpc::ClientContext* context) {
  SetDeadlineSeconds(
      global.timeout_given ? global.timeout_seconds : default_seconds, context);
  AddApiKey(global, context);
}

std::string RequestIdFor(const Invocation& invocation) {
  if (invocation.flags.Has("request-id")) {
    return invocation.flags.Get("request-id");
  }
  std::random_device random;
  const uint64_t bits = (static_cast<uint64_t>(random()) << 32) | random();
  const std::string id = absl::StrCat(absl::Hex(bits, absl::kZeroPad16));
  std::ostream& out = invocation.global.json ? std::cerr : std::cout;
  out << "request id: " << id << " (generated; retry with --request-id " << id
      << ")\n";
  return id;
}

}  // namespace loyaltyctl

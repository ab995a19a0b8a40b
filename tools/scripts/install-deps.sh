#!/usr/bin/env bash
# Installs the Debian bookworm packages the build and the tests need, and
# only those that are missing. Needs root (or sudo); never asks questions.
set -euo pipefail

packages=(
  cmake ninja-build g++ ccache pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  librocksdb-dev libabsl-dev libyaml-cpp-dev libssl-dev libcli11-dev
  libcpp-httplib-dev
  libgtest-dev libgmock-dev openssl libjemalloc2 curl
  clang-14 libclang-rt-14-dev clang-format-14
  libcpp-httplib-dev prometheus dpkg-dev
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing missing packages: ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q
"${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"

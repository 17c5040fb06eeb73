#!/usr/bin/env bash
# Installs the system packages plugport's build, demo and tests need when they are missing
# (Debian/Ubuntu, with apt-get as root or through sudo). Called by scripts/demo.sh and
# scripts/test.sh, so a fresh machine needs nothing else:
#   a C compiler, g++ and clang (the header tests compile with both compilers),
#   libclang-dev (bindgen layout tests), valgrind (leak checks), golang-go (Go bindings,
#   examples and tests), cmake, ninja-build and pkg-config (packaging test; cgo finds
#   libplugport through pkg-config), libgtest-dev (the C++ suites) and libffi-dev (the
#   runtime's isolation proxies link the system libffi).
set -euo pipefail

missing=()
command -v clang >/dev/null 2>&1 || missing+=(clang)
command -v clang++ >/dev/null 2>&1 || missing+=(clang)
ls /usr/lib/llvm-*/lib/libclang.so* >/dev/null 2>&1 || ls /usr/lib/x86_64-linux-gnu/libclang*.so* >/dev/null 2>&1 || missing+=(libclang-dev)
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
command -v cc >/dev/null 2>&1 || missing+=(build-essential)
# Go builds the Go plugin and host of the loader's Go tests (tests/lifecycle/tests/go_plugin.rs)
# and the Go bindings, examples and tests (docs/go.md).
go version >/dev/null 2>&1 || missing+=(golang-go)
# cmake, pkg-config (and ninja when available) for the packaging test (tests/packaging);
# pkg-config also lets cgo find libplugport (#cgo pkg-config: plugport).
command -v cmake >/dev/null 2>&1 || missing+=(cmake)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v ninja >/dev/null 2>&1 || missing+=(ninja-build)
# g++ and GoogleTest for the C++ layer's suites (tests/e2e/cpp, run by tests/e2e/tests/cpp_gtest.rs).
command -v g++ >/dev/null 2>&1 || missing+=(g++)
[ -f /usr/include/gtest/gtest.h ] || missing+=(libgtest-dev)
# libffi (the runtime's isolation proxies link the system libffi).
pkg-config --exists libffi 2>/dev/null || missing+=(libffi-dev)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing system packages: ${missing[*]}"
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# Python grpcio and grpcio-tools: tests/remote/tests/python.rs runs the greeter plugin
# written as a Python gRPC server (tests/remote/python/greeter_server.py) from the .proto
# of `plugport gen --lang proto`, compiled with grpcio-tools (docs/remote.md).
if ! python3 -c 'import grpc, grpc_tools' >/dev/null 2>&1; then
  command -v python3 >/dev/null 2>&1 && python3 -m pip --version >/dev/null 2>&1 || {
    sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3 python3-pip >/dev/null
  }
  echo "== installing Python grpcio and grpcio-tools"
  python3 -m pip install -q grpcio==1.76.0 grpcio-tools==1.76.0 ||
    python3 -m pip install -q --break-system-packages grpcio==1.76.0 grpcio-tools==1.76.0
fi

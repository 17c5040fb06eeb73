#!/usr/bin/env bash
# Runs every plugport test. On a fresh machine it first installs what is missing:
# clang (second C compiler for header tests), libclang-dev (bindgen layout tests),
# valgrind (leak checks), golang-go (Go plugin tests), libffi-dev and pkg-config (the
# isolation proxies), and the rustfmt/clippy components.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

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
ls /usr/lib/*/libffi.so /usr/lib/libffi.so /usr/lib64/libffi.so >/dev/null 2>&1 || missing+=(libffi-dev)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing system packages: ${missing[*]}"
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy -D warnings"
cargo clippy --quiet --workspace --all-targets -- -D warnings
echo "== build the examples (plugins and hosts from freshly generated bindings)"
PROFILE=dev "$root/scripts/build-examples.sh" "$root/target/examples"
echo "== cargo test"
PLUGPORT_EXAMPLES="$root/target/examples" cargo test --workspace

# ---------------------------------------------------------------------------------------
# Go (docs/go.md): the runtime module bridge/go and the Go examples (with the bindings
# build-examples.sh generated into them): gofmt must list nothing, go vet must pass, and
# go test runs with the race detector (the greeter tests call from 8 goroutines at once).
echo "== Go: gofmt -l, go vet, go test -race"
export PKG_CONFIG_PATH="$root/target/debug/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" GOTOOLCHAIN=local GOFLAGS=-mod=mod
export PLUGPORT_EXAMPLES="$root/target/examples"
go_modules=(bridge/go examples/greeter/host-go examples/greeter/plugin-en-go examples/greeter/plugin-zh-go examples/codec/host-go examples/codec/plugin-go
  tests/typecov/host-go tests/typecov/plugin-go tests/bench/go tests/bench/plugin-go)
# The seeds' programs on plugport (examples/seeds, issue 7 item 5).
go_modules+=(examples/seeds/s6-interface/host-go examples/seeds/s6-interface/plugin-go)
go_modules+=(examples/seeds/s1-variadic/host-go examples/seeds/s1-variadic/plugin-go)
go_modules+=(examples/seeds/s4-hotswap/host-go examples/seeds/s4-hotswap/plugin-panic-go)
go_modules+=(examples/seeds/s5-versions/host-go examples/seeds/s5-versions/plugin-go)
unformatted=$(gofmt -l "${go_modules[@]}")
if [ -n "$unformatted" ]; then
  echo "gofmt -l lists files that are not formatted:" >&2
  echo "$unformatted" >&2
  exit 1
fi
for m in "${go_modules[@]}"; do
  (cd "$m" && go vet ./... && go test -race -count=1 ./...)
done

#!/usr/bin/env bash
# Runs every plugport test. On a fresh machine it first installs what is missing:
# clang (second C compiler for header tests), libclang-dev (bindgen layout tests),
# valgrind (leak checks), libffi-dev and pkg-config (the isolation proxies), and the
# rustfmt/clippy components.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

missing=()
command -v clang >/dev/null 2>&1 || missing+=(clang)
command -v clang++ >/dev/null 2>&1 || missing+=(clang)
ls /usr/lib/llvm-*/lib/libclang.so* >/dev/null 2>&1 || ls /usr/lib/x86_64-linux-gnu/libclang*.so* >/dev/null 2>&1 || missing+=(libclang-dev)
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
command -v cc >/dev/null 2>&1 || missing+=(build-essential)
# libffi (the runtime's isolation proxies link the system libffi) and pkg-config.
ls /usr/lib/*/libffi.so /usr/lib/libffi.so /usr/lib64/libffi.so >/dev/null 2>&1 || missing+=(libffi-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
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

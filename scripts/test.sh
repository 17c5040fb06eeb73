#!/usr/bin/env bash
# Runs every plugport test. On a fresh machine it first installs what is missing: the
# system packages of scripts/install-deps.sh, and the rustfmt/clippy components.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

"$root/scripts/install-deps.sh"
rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy -D warnings"
cargo clippy --quiet --workspace --all-targets -- -D warnings
echo "== cargo doc, warnings as errors (broken intra-doc links, ...)"
RUSTDOCFLAGS="-D warnings" cargo doc --quiet --workspace --no-deps
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

# ---------------------------------------------------------------------------------------
# Fuzzing (docs/fuzzing.md): every cargo-fuzz target of fuzz/ for a bounded time, seeded
# with the test worlds and the example plugins built above. Long runs: scripts/fuzz.sh.
# A fixed number of runs from a fixed random seed and the seeds alone, so that the step
# passes or fails alike on every machine; a failure replays with the same command.
echo "== fuzz: every target for ${FUZZ_RUNS:-100000} runs, seed 1, fresh corpus"
FUZZ_RUNS=${FUZZ_RUNS:-100000} FUZZ_SEED=1 FUZZ_FRESH=1 "$root/scripts/fuzz.sh"

#!/usr/bin/env bash
# Runs every plugport test. On a fresh machine it first installs what is missing: the
# system packages of scripts/install-deps.sh, and the rustfmt/clippy components.
set -euo pipefail
# No incremental caches: CI builds once from a clean clone, and they take gigabytes of disk.
export CARGO_INCREMENTAL=0
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
# Go sources the constructs tests copy into modules of their own and build (go vet runs there
# as part of go test): gofmt only.
go_sources=(tests/constructs/go tests/constructs/go-host tests/constructs/go-worldres)
unformatted=$(gofmt -l "${go_modules[@]}" "${go_sources[@]}")
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

# ---------------------------------------------------------------------------------------
# Packaging and features (issue 11, C; docs/rust.md "Cargo features"). The library and
# CLI crates package for crates.io as they are: path dependencies carry versions, the
# metadata and LICENSE files are in place (--no-verify: their build is tested above). A
# Rust plugin's runtime links neither the loader nor the CLI, its build script compiles
# neither the CLI nor the loader (so no system libffi is needed to build a plugin), and
# each crate builds without its default features.
echo "== cargo package: plugport, plugport-codegen, plugport-capi"
cargo package --quiet --allow-dirty --no-verify -p plugport -p plugport-codegen -p plugport-capi
echo "== features: the runtime without 'loader' (with and without 'ir'), the generator without 'cli'"
cargo check --quiet -p plugport --no-default-features
cargo check --quiet -p plugport --no-default-features --features ir
cargo check --quiet -p plugport-codegen --no-default-features
plugin_deps=$(cargo tree -e normal -p greeter-plugin-en --prefix none)
build_deps=$(cargo tree -e normal,build -p greeter-plugin-en --prefix none)
if grep -E '^(object|libloading|sha2|libffi|serde_json|clap|tonic|tokio) ' <<<"$plugin_deps"; then
  echo "the greeter plugin links the runtime's loader or CLI dependencies (above)" >&2
  exit 1
fi
if grep -E '^(clap|tonic|tokio|object|libloading|libffi) ' <<<"$build_deps"; then
  echo "the greeter plugin's build script compiles the CLI's or the loader's dependencies (above)" >&2
  exit 1
fi

#!/usr/bin/env bash
# Builds the plugport CLI and runtime, generates fresh bindings for every example world,
# and builds every example plugin and host (Rust and C) into one output folder.
#
#   scripts/build-examples.sh [OUT]      OUT defaults to ./build; PROFILE=release|dev
#
# Layout of OUT: OUT/<example>/<world>.h (generated), lib*.so (plugins), *-host-* (hosts).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/build}
profile=${PROFILE:-release}
case "$profile" in dev) tdir=$root/target/debug ;; *) tdir=$root/target/$profile ;; esac
CC=${CC:-cc}
CFLAGS=${CFLAGS:-"-std=c99 -Wall -Wextra -Werror -pedantic -O2 -g"}
cd "$root"

echo "== cargo build ($profile): CLI, runtime C API, Rust plugins and hosts"
# Two invocations, so that cargo's feature unification does not compile the runtime's
# C host API (feature `capi`, wanted only in libplugport) into the Rust plugins.
cargo build --quiet --profile "$profile" -p plugport-capi -p plugport-codegen
# libplugport's SONAME is libplugport.so.0 (bridge/capi/build.rs): hosts linked with
# `-L$tdir -lplugport` look for that name at run time, next to the library.
ln -sf libplugport.so "$tdir/libplugport.so.0"
# The isolation runner (docs/isolation.md), next to libplugport where the runtime looks.
cargo build --quiet --profile "$profile" -p plugport --bin plugport-runner
# Plugins apart from hosts: built together, the hosts' runtime feature `loader` would be
# unified into the plugins' runtime (docs/rust.md, "Cargo features").
cargo build --quiet --profile "$profile" -p greeter-plugin-en -p codec-plugin-rust
cargo build --quiet --profile "$profile" -p greeter-host -p codec-host

for ex in greeter codec; do
  mkdir -p "$out/$ex"
  echo "== plugport gen examples/$ex/wit --out $out/$ex --lang c"
  "$tdir/plugport" gen "examples/$ex/wit" --out "$out/$ex" --lang c
done

echo "== C plugins and hosts ($CC)"
$CC $CFLAGS -shared -fPIC -I"$out/greeter" examples/greeter/plugin-zh-c/plugin.c \
  -o "$out/greeter/libgreeter_zh.so"
$CC $CFLAGS -shared -fPIC -I"$out/codec" examples/codec/plugin-c/plugin.c \
  -o "$out/codec/libcodec_c.so" -pthread
for ex in greeter codec; do
  $CC $CFLAGS -Iheaders -I"$out/$ex" "examples/$ex/host-c/host.c" -o "$out/$ex/$ex-host-c" \
    -L"$tdir" -lplugport -Wl,-rpath,"$tdir"
done

cp "$tdir/libgreeter_en.so" "$tdir/greeter-host-rust" "$out/greeter/"
cp "$tdir/libcodec_rust.so" "$tdir/codec-host-rust" "$out/codec/"
# The isolation runner beside the Rust hosts too (the C hosts find the one beside
# libplugport), so PLUGPORT_ISOLATION=process works for every host here.
cp "$tdir/plugport-runner" "$out/greeter/"
cp "$tdir/plugport-runner" "$out/codec/"
echo "== built into $out"

# ---------------------------------------------------------------------------------------
# typecov: the type-coverage matrix of tests/typecov ({C, Rust} host x {C, Rust} plugin
# over tests/wit/typecov.wit), plus the plugins the load-failure tests refuse.
# Layout: OUT/typecov/{typecov.h, libtypecov_c.so, libtypecov_rust.so, typecov-host-c,
# libnot_a_plugin.so, v2/{typecov.wit, typecov.h, plugin.c, libtypecov_c_v2.so}}.
tc=$out/typecov
mkdir -p "$tc/v2"
echo "== typecov: Rust plugin, bindings, C plugin and host, wrong-major and non-plugin libraries"
cargo build --quiet --profile "$profile" -p typecov-plugin-rust
cp "$tdir/libtypecov_rust.so" "$tc/"
"$tdir/plugport" gen tests/wit/typecov.wit --out "$tc" --lang c
$CC $CFLAGS -shared -fPIC -I"$tc" tests/typecov/plugin-c/plugin.c -o "$tc/libtypecov_c.so" -pthread
$CC $CFLAGS -Iheaders -I"$tc" tests/typecov/host-c/host.c -o "$tc/typecov-host-c" \
  -L"$tdir" -lplugport -Wl,-rpath,"$tdir"
# Wrong major: the same C plugin, built against a header generated from a 2.0.0 copy of the
# WIT (every C name then has the prefix test_typecov_v2, so the source is renamed to match).
sed 's/^package test:typecov@1\.0\.0;/package test:typecov@2.0.0;/' tests/wit/typecov.wit >"$tc/v2/typecov.wit"
grep -q '^package test:typecov@2\.0\.0;' "$tc/v2/typecov.wit" || { echo "typecov: cannot make the 2.0.0 WIT copy" >&2; exit 1; }
"$tdir/plugport" gen "$tc/v2/typecov.wit" --out "$tc/v2" --lang c
sed -e 's/test_typecov_v1/test_typecov_v2/g' -e 's/TEST_TYPECOV_V1/TEST_TYPECOV_V2/g' \
  -e 's/^#define TABLE_VERSION 0x00010000u$/#define TABLE_VERSION 0x00020000u/' \
  tests/typecov/plugin-c/plugin.c >"$tc/v2/plugin.c"
$CC $CFLAGS -shared -fPIC -I"$tc/v2" "$tc/v2/plugin.c" -o "$tc/v2/libtypecov_c_v2.so" -pthread
# A shared library that is not a plugin.
$CC $CFLAGS -shared -fPIC tests/typecov/not-a-plugin/lib.c -o "$tc/libnot_a_plugin.so"
echo "== typecov built into $tc"

# ---------------------------------------------------------------------------------------
# lifecycle: greeter 1.1 (examples/greeter/wit-1.1 appends greet.farewell) for the version
# matrix, side by side, hot reload and watch-mode tests of tests/lifecycle, and the S3
# users plugin in Rust, and the C host of the live-objects test (against the codec header).
# (The tests compile the C plugin variants they need themselves.)
# Layout: OUT/lifecycle/{libgreeter_en_1_1.so, libusers_rust.so, v1.1/greeter.h,
# libgreeter_zh_1_1.so, greeter-host-c-1.1, live-objects-host-c}.
lc=$out/lifecycle
mkdir -p "$lc/v1.1"
echo "== lifecycle: greeter 1.1 plugins (Rust, C) and C host, users plugin (Rust), live-objects C host"
cargo build --quiet --profile "$profile" -p greeter-plugin-en-1-1 -p users-plugin-rust
cp "$tdir/libgreeter_en_1_1.so" "$tdir/libusers_rust.so" "$lc/"
"$tdir/plugport" gen examples/greeter/wit-1.1 --out "$lc/v1.1" --lang c
# The same C sources as the 1.0 plugin and host, against the 1.1 header.
$CC $CFLAGS -DGREETER_1_1 -shared -fPIC -I"$lc/v1.1" examples/greeter/plugin-zh-c/plugin.c \
  -o "$lc/libgreeter_zh_1_1.so"
$CC $CFLAGS -DGREETER_1_1 -Iheaders -I"$lc/v1.1" examples/greeter/host-c/host.c \
  -o "$lc/greeter-host-c-1.1" -L"$tdir" -lplugport -Wl,-rpath,"$tdir"
$CC $CFLAGS -Iheaders -I"$out/codec" tests/lifecycle/c/live_objects_host.c \
  -o "$lc/live-objects-host-c" -L"$tdir" -lplugport -Wl,-rpath,"$tdir"
echo "== lifecycle built into $lc"

# ---------------------------------------------------------------------------------------
# C++: the greeter's French plugin and C++ host, the codec's C++ plugin and host, against
# the headers of `plugport gen --lang cpp` (<world>.hpp over <world>.h) and the helper
# header headers/plugport/cpp.hpp (docs/cpp.md). Layout: OUT/<example>/<world>.hpp,
# OUT/greeter/{libgreeter_fr.so, greeter-host-cpp}, OUT/codec/{libcodec_cpp.so, codec-host-cpp}.
CXX=${CXX:-c++}
CXXFLAGS=${CXXFLAGS:-"-std=c++17 -Wall -Wextra -Werror -pedantic -O2 -g"}
# Plugins export only the entry, descriptor and live-objects function.
CXX_PLUGIN_FLAGS="-shared -fPIC -fvisibility=hidden -fvisibility-inlines-hidden"
echo "== C++ plugins and hosts ($CXX)"
for ex in greeter codec; do
  "$tdir/plugport" gen "examples/$ex/wit" --out "$out/$ex" --lang cpp
done
$CXX $CXXFLAGS $CXX_PLUGIN_FLAGS -Iheaders -I"$out/greeter" examples/greeter/plugin-fr-cpp/plugin.cpp \
  -o "$out/greeter/libgreeter_fr.so"
$CXX $CXXFLAGS $CXX_PLUGIN_FLAGS -Iheaders -I"$out/codec" examples/codec/plugin-cpp/plugin.cpp \
  -o "$out/codec/libcodec_cpp.so" -pthread
for ex in greeter codec; do
  $CXX $CXXFLAGS -Iheaders -I"$out/$ex" "examples/$ex/host-cpp/host.cpp" -o "$out/$ex/$ex-host-cpp" \
    -L"$tdir" -lplugport -Wl,-rpath,"$tdir"
done
echo "== C++ examples built into $out"

# typecov in C++: the C++ plugin and host of the type-coverage matrix (tests/typecov),
# making it {C, C++, Rust} x {C, C++, Rust}. Layout: OUT/typecov/{typecov.hpp,
# libtypecov_cpp.so, typecov-host-cpp}.
echo "== typecov: C++ plugin and host"
"$tdir/plugport" gen tests/wit/typecov.wit --out "$tc" --lang cpp
$CXX $CXXFLAGS $CXX_PLUGIN_FLAGS -Iheaders -I"$tc" tests/typecov/plugin-cpp/plugin.cpp \
  -o "$tc/libtypecov_cpp.so" -pthread
$CXX $CXXFLAGS -Iheaders -I"$tc" tests/typecov/host-cpp/host.cpp -o "$tc/typecov-host-cpp" \
  -L"$tdir" -lplugport -Wl,-rpath,"$tdir" -pthread
echo "== typecov C++ built into $tc"

# ---------------------------------------------------------------------------------------
# Go (docs/go.md): the pkg-config file of libplugport, fresh Go bindings generated into
# each Go example's module (gitignored), the Go hosts and the Go plugins
# (-buildmode=c-shared). Layout: OUT/greeter/{greeter-host-go, libgreeter_en_go.so, libgreeter_zh_go.so},
# OUT/codec/{codec-host-go, libcodec_go.so}, OUT/typecov/libtypecov_go.so;
# $tdir/pkgconfig/plugport.pc.
command -v go >/dev/null 2>&1 || {
  echo "build-examples: 'go' not found: the Go examples need Go 1.22 or later and pkg-config (scripts/test.sh installs golang-go and pkg-config)" >&2
  exit 1
}
echo "== Go: plugport.pc, bindings, hosts and plugins ($(go version))"
pcdir=$tdir/pkgconfig
mkdir -p "$pcdir"
pp_version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
sed -e "s|@PREFIX@|$root|" -e "s|@LIBDIR@|$tdir|" -e "s|@INCLUDEDIR@|$root/headers|" \
  -e "s|@VERSION@|$pp_version|" bridge/capi/plugport.pc.in >"$pcdir/plugport.pc"
export PKG_CONFIG_PATH="$pcdir${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}" GOTOOLCHAIN=local GOFLAGS=-mod=mod
go_out=$(cd "$out" && pwd) # the go builds run in the module directories
go_gen() { "$tdir/plugport" gen "$1" --out "$2" --lang "$3" "${@:4}" >/dev/null; }
go_gen examples/greeter/wit examples/greeter/host-go go-host
go_gen examples/greeter/wit-1.1 examples/greeter/host-go/v11 go-host # for the minor-version test
go_gen examples/greeter/wit examples/greeter/plugin-en-go go-guest --plugin-name greeter-en-go --plugin-version 1.0.0
go_gen examples/greeter/wit examples/greeter/plugin-zh-go go-guest --plugin-name greeter-zh-go --plugin-version 1.0.0
go_gen examples/codec/wit examples/codec/host-go go-host
go_gen examples/codec/wit examples/codec/plugin-go go-guest --plugin-name codec-go --plugin-version 1.0.0
go_gen tests/wit/typecov.wit tests/typecov/host-go go-host # its go test loads OUT/typecov plugins
go_gen tests/wit/typecov.wit tests/typecov/plugin-go go-guest --plugin-name typecov-go --plugin-version 1.0.0
(cd examples/greeter/host-go && go build -o "$go_out/greeter/greeter-host-go" .)
(cd examples/greeter/plugin-en-go && go build -buildmode=c-shared -o "$go_out/greeter/libgreeter_en_go.so" .)
(cd examples/greeter/plugin-zh-go && go build -buildmode=c-shared -o "$go_out/greeter/libgreeter_zh_go.so" .)
(cd examples/codec/host-go && go build -o "$go_out/codec/codec-host-go" .)
(cd examples/codec/plugin-go && go build -buildmode=c-shared -o "$go_out/codec/libcodec_go.so" .)
(cd tests/typecov/plugin-go && go build -buildmode=c-shared -o "$go_out/typecov/libtypecov_go.so" .)
rm -f "$go_out/greeter/libgreeter_en_go.h" "$go_out/greeter/libgreeter_zh_go.h" "$go_out/codec/libcodec_go.h" "$go_out/typecov/libtypecov_go.h" # cgo's export headers
echo "== Go built into $out/greeter, $out/codec and $out/typecov"

# ---------------------------------------------------------------------------------------
# bench (docs/performance.md, "Go"): the C bench plugin for the Go benchmarks
# (tests/bench/go, go test -bench), the Go host bindings they call it through, and the Go
# bench plugin the Rust benchmarks load (cargo bench -p plugport-bench --bench calls).
# Layout: OUT/bench/{bench.h, libbench_c.so, libbench_go.so}.
bn=$out/bench
mkdir -p "$bn"
echo "== bench: C plugin, Go host bindings, Go plugin"
"$tdir/plugport" gen tests/bench/wit/bench.wit --out "$bn" --lang c >/dev/null
$CC $CFLAGS -shared -fPIC -I"$bn" tests/bench/plugin-c/plugin.c -o "$bn/libbench_c.so"
go_gen tests/bench/wit/bench.wit tests/bench/go go-host
go_gen tests/bench/wit/bench.wit tests/bench/plugin-go go-guest --plugin-name bench-go --plugin-version 1.0.0
(cd tests/bench/plugin-go && go build -buildmode=c-shared -o "$go_out/bench/libbench_go.so" . && rm -f "$go_out/bench/libbench_go.h")
echo "== bench built into $bn"

# ---------------------------------------------------------------------------------------
# seeds (examples/seeds, issue 7 item 5): the seeds' own programs rebuilt on plugport.
# Layout: OUT/seeds/{seed003.h, libseed003_go.so, seed003-host-c, seed003-host-rust,
# seed003-host-go} (seed 003, S6: an interface returned from a Go c-shared library), and
# the files of seeds 000, 004 and 002 named below.
sd=$out/seeds
mkdir -p "$sd"
echo "== seeds: 003 (S6) Go plugin, C, Rust and Go hosts; 000 (S1) Go plugin, C and Go hosts; 004 (S2/S4) Go host; 002 (S5) Go plugin and host"
s6=examples/seeds/s6-interface
cargo build --quiet --profile "$profile" -p seed003-host
cp "$tdir/seed003-host-rust" "$sd/"
"$tdir/plugport" gen "$s6/wit" --out "$sd" --lang c
$CC $CFLAGS -Iheaders -I"$sd" "$s6/host-c/host.c" -o "$sd/seed003-host-c" \
  -L"$tdir" -lplugport -Wl,-rpath,"$tdir"
go_gen "$s6/wit" "$s6/host-go" go-host
go_gen "$s6/wit" "$s6/plugin-go" go-guest --plugin-name seed003-go --plugin-version 1.0.0
(cd "$s6/plugin-go" && go build -buildmode=c-shared -o "$go_out/seeds/libseed003_go.so" .)
(cd "$s6/host-go" && go build -o "$go_out/seeds/seed003-host-go" .)
rm -f "$go_out/seeds/libseed003_go.h"
# Seed 000 (S1): a variadic Main called from 100 goroutines at once (its test runs under
# go test -race). Layout: OUT/seeds/{libseed000_go.so, seed000-host-go}.
s1=examples/seeds/s1-variadic
go_gen "$s1/wit" "$s1/host-go" go-host
go_gen "$s1/wit" "$s1/plugin-go" go-guest --plugin-name seed000-go --plugin-version 1.0.0
(cd "$s1/plugin-go" && go build -buildmode=c-shared -o "$go_out/seeds/libseed000_go.so" .)
(cd "$s1/host-go" && go build -o "$go_out/seeds/seed000-host-go" .)
rm -f "$go_out/seeds/libseed000_go.h"
# ... and a C host calling the Go plugin in-process from 100 threads at once
# (OUT/seeds/{seed000.h, seed000-host-c}).
"$tdir/plugport" gen "$s1/wit" --out "$sd" --lang c
$CC $CFLAGS -Iheaders -I"$sd" "$s1/host-c/host.c" -o "$sd/seed000-host-c" \
  -L"$tdir" -lplugport -Wl,-rpath,"$tdir" -pthread
# Seed 004 (S2/S4): the hot-swapping greeter host in Go (--watch, and the seed's HTTP
# trigger on loopback), for the greeter plugins above. Layout: OUT/seeds/seed004-host-go.
s4=examples/seeds/s4-hotswap
go_gen examples/greeter/wit "$s4/host-go" go-host
(cd "$s4/host-go" && go build -o "$go_out/seeds/seed004-host-go" .)
# The seed's panicking greeter plugin. Layout: OUT/seeds/libgreeter_panic_go.so.
go_gen examples/greeter/wit "$s4/plugin-panic-go" go-guest --plugin-name greeter-panic-go --plugin-version 1.0.0
(cd "$s4/plugin-panic-go" && go build -buildmode=c-shared -o "$go_out/seeds/libgreeter_panic_go.so" .)
rm -f "$go_out/seeds/libgreeter_panic_go.h"
# Seed 002 (S5): host and plugin built with different flags and different versions of
# golang.org/x/text (fetched through the Go module proxy; go.sum committed), and host
# bindings of a changed copy of the WIT. Layout: OUT/seeds/{libseed002_go.so, seed002-host-go}.
s5=examples/seeds/s5-versions
go_gen "$s5/wit" "$s5/host-go" go-host
go_gen "$s5/wit-changed" "$s5/host-go/changed" go-host
go_gen "$s5/wit" "$s5/plugin-go" go-guest --plugin-name seed002-go --plugin-version 1.0.0
(cd "$s5/plugin-go" && go build -buildmode=c-shared -gcflags='all=-N -l' -o "$go_out/seeds/libseed002_go.so" .)
(cd "$s5/host-go" && go build -trimpath -ldflags='-s -w' -o "$go_out/seeds/seed002-host-go" .)
rm -f "$go_out/seeds/libseed002_go.h"
echo "== seeds built into $sd"

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

echo "== cargo build ($profile): CLI, runtime, Rust plugins and hosts"
cargo build --quiet --profile "$profile" -p plugport -p plugport-codegen \
  -p greeter-plugin-en -p greeter-host -p codec-plugin-rust -p codec-host

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
echo "== built into $out"

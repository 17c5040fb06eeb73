#!/usr/bin/env bash
# The demo: builds the example plugins from freshly generated bindings, then loads every
# plugin in every host (C, Rust and Go) and prints what they answer.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/build
"$root/scripts/build-examples.sh" "$out"

g=$out/greeter
c=$out/codec
# A Go plugin in the Go host would put two Go runtimes in one process, which Go does not
# support (golang/go#18976; docs/go.md): the loader runs such a plugin in a child process
# (plugport-runner, docs/isolation.md) by itself, so those pairs answer like the others.
for host in greeter-host-c greeter-host-rust greeter-host-go; do
  for plugin in libgreeter_en.so libgreeter_zh.so libgreeter_en_go.so libgreeter_zh_go.so; do
    echo
    echo "### $host  x  $plugin"
    "$g/$host" "$g/$plugin" World 世界
  done
done
for host in codec-host-c codec-host-rust codec-host-go; do
  for plugin in libcodec_rust.so libcodec_c.so libcodec_go.so; do
    echo
    echo "### $host  x  $plugin"
    "$c/$host" "$c/$plugin" 4
  done
done
echo
echo "### plugport inspect $g/libgreeter_en.so"
"$root/target/release/plugport" inspect "$g/libgreeter_en.so"

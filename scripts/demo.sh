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
# support (golang/go#18976; docs/go.md): the loader refuses that pair before any plugin
# code runs, and the demo shows the refusal instead of an answer (until process isolation).
go_pair() {
  case "$1" in *-go) case "$2" in *_go.so)
    echo
    echo "### $1  x  $2: refused by the loader, as expected (two Go runtimes in one process; docs/go.md)"
    "$3/$1" "$3/$2" 1 2>&1 | head -n 3 || true
    return 0 ;; esac ;; esac
  return 1
}
for host in greeter-host-c greeter-host-rust greeter-host-go; do
  for plugin in libgreeter_en.so libgreeter_zh.so libgreeter_en_go.so libgreeter_zh_go.so; do
    go_pair "$host" "$plugin" "$g" && continue
    echo
    echo "### $host  x  $plugin"
    "$g/$host" "$g/$plugin" World 世界
  done
done
for host in codec-host-c codec-host-rust codec-host-go; do
  for plugin in libcodec_rust.so libcodec_c.so libcodec_go.so; do
    go_pair "$host" "$plugin" "$c" && continue
    echo
    echo "### $host  x  $plugin"
    "$c/$host" "$c/$plugin" 4
  done
done
echo
echo "### plugport inspect $g/libgreeter_en.so"
"$root/target/release/plugport" inspect "$g/libgreeter_en.so"

#!/usr/bin/env bash
# The demo: builds the example plugins from freshly generated bindings, then loads every
# plugin in every host (C, C++, Rust and Go) and prints what they answer.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/build
"$root/scripts/install-deps.sh" # the system packages a fresh machine lacks
"$root/scripts/build-examples.sh" "$out"

g=$out/greeter
c=$out/codec
# A Go plugin in the Go host would put two Go runtimes in one process, which Go does not
# support (golang/go#18976; docs/go.md): the loader runs such a plugin in a child process
# (plugport-runner, docs/isolation.md) by itself, so those pairs answer like the others.
for host in greeter-host-c greeter-host-cpp greeter-host-rust greeter-host-go; do
  for plugin in libgreeter_en.so libgreeter_zh.so libgreeter_fr.so libgreeter_en_go.so libgreeter_zh_go.so; do
    echo
    echo "### $host  x  $plugin"
    "$g/$host" "$g/$plugin" World 世界
  done
done
for host in codec-host-c codec-host-cpp codec-host-rust codec-host-go; do
  for plugin in libcodec_rust.so libcodec_c.so libcodec_cpp.so libcodec_go.so; do
    echo
    echo "### $host  x  $plugin"
    "$c/$host" "$c/$plugin" 4
  done
done
echo
echo "### plugport inspect $g/libgreeter_en.so"
"$root/target/release/plugport" inspect "$g/libgreeter_en.so"

# Seed 004 (S4, examples/seeds/s4-hotswap): hot swap while the host runs, from each host
# language. Each host watches a plugin path holding the English Go greeter; the file is
# then replaced (by rename, as a deploy does) with the Chinese one, and the host reloads
# it and answers in Chinese. (A reloaded Go plugin runs in a child process: docs/go.md.)
s=$out/seeds
swap_demo() { # swap_demo <dir> <host command...>: run the host, replace <dir>/greet.so
  local dir=$1 pid
  shift
  "$@" &
  pid=$!
  sleep 1.5
  cp "$g/libgreeter_zh_go.so" "$dir/greet.so.new" && mv "$dir/greet.so.new" "$dir/greet.so"
  sleep 1.5
  kill "$pid" 2>/dev/null || { echo "demo: $* ended early" >&2; exit 1; }
  wait "$pid" 2>/dev/null || true
}
for host in greeter-host-c greeter-host-rust greeter-host-go seed004-host-go; do
  d=$(mktemp -d)
  cp "$g/libgreeter_en_go.so" "$d/greet.so"
  echo
  echo "### $host --watch: libgreeter_en_go.so, replaced by libgreeter_zh_go.so"
  case $host in
    seed004-host-go) swap_demo "$d" "$s/$host" --watch --every 500ms --name 宇宙 "$d/greet.so" ;;
    *) GREETER_WATCH_MS=200 swap_demo "$d" "$g/$host" --watch "$d/greet.so" 宇宙 ;;
  esac
  rm -rf "$d"
done

# The other seeds (examples/seeds): 003 (S6) the seed's Test object from a Go plugin in
# each host language, 000 (S1) 100 goroutines at once, 002 (S5) different flags and module
# versions, and the refusal of a changed interface.
for host in seed003-host-c seed003-host-rust seed003-host-go; do
  echo
  echo "### $host  x  libseed003_go.so"
  "$s/$host" "$s/libseed003_go.so"
done
echo
echo "### seed000-host-go  x  libseed000_go.so"
"$s/seed000-host-go" "$s/libseed000_go.so"
echo
echo "### seed000-host-c  x  libseed000_go.so (in-process)"
"$s/seed000-host-c" "$s/libseed000_go.so"
echo
echo "### seed002-host-go  x  libseed002_go.so, then through the bindings of a changed WIT"
"$s/seed002-host-go" "$s/libseed002_go.so"
"$s/seed002-host-go" --changed "$s/libseed002_go.so"

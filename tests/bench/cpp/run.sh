#!/usr/bin/env bash
# Builds and runs the C++ layer's benchmark (bench.cpp, raw.c) against the bench C plugin,
# then counts instructions per call with callgrind. docs/performance.md ("C++ layer")
# records its output.
#
#   tests/bench/cpp/run.sh [OUT]     OUT defaults to target/bench-cpp; N=<calls> to change
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
out=${1:-$root/target/bench-cpp}
n=${N:-20000000}
mkdir -p "$out"
cd "$root"
cargo build --quiet --release -p plugport-codegen
target/release/plugport gen tests/bench/wit --out "$out" --lang cpp >/dev/null
cc -std=c99 -O2 -g -Wall -Wextra -Werror -pedantic -shared -fPIC -I"$out" tests/bench/plugin-c/plugin.c \
  -o "$out/libbench_c.so"
cc -std=c99 -O2 -g -Wall -Wextra -Werror -pedantic -c -I"$out" tests/bench/cpp/raw.c -o "$out/raw.o"
c++ -std=c++17 -O2 -g -Wall -Wextra -Werror -pedantic -Iheaders -I"$out" tests/bench/cpp/bench.cpp "$out/raw.o" \
  -o "$out/bench-cpp" -ldl
"$out/bench-cpp" "$out/libbench_c.so" "$n"

# Instructions (Ir) per call, inclusive of everything each loop calls (plugin, malloc, free).
# bench-cpp runs each loop 1000 times to cross-check them (the C++ loops 2000 times), then 5 runs
# of `calls` (add) or `calls / 4` (64-byte string) calls.
calls=100000
valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out" --toggle-collect='*_loop' \
  "$out/bench-cpp" "$out/libbench_c.so" "$calls" >/dev/null 2>"$out/callgrind.log"
callgrind_annotate --inclusive=yes "$out/callgrind.out" 2>/dev/null |
  awk -v c="$calls" '
    match($0, /tests\/bench\/cpp\/[a-z]+\.(c|cpp):[a-z_]+_loop/) {
      name = substr($0, RSTART, RLENGTH); sub(/^.*:/, "", name);
      ir = $1; gsub(",", "", ir);
      if (ir + 0 > best[name] + 0) best[name] = ir;
    }
    END {
      for (name in best) {
        n = (name ~ /add/) ? 5 * c : 5 * int(c / 4);
        n += (name ~ /^cpp_/) ? 2000 : 1000;
        printf "%-24s %8.1f Ir/call\n", name, best[name] / n;
      }
    }' | sort

#!/usr/bin/env bash
# Instructions per call across the plugport boundary, counted by callgrind, with the floors
# measured in the same run (docs/performance.md, "Instructions per call").
#
#   scripts/callgrind-bench.sh            N=<calls> (default 100000), CYCLES=<load cycles> (default 2000),
#                                         FIRST=<fresh processes per kind> (default 40)
#
# For every workload of tests/bench/src/bin/callgrind-bench.rs it runs the program under
# `valgrind --tool=callgrind` twice, with N and 2N calls, and prints
# (Ir(2N) - Ir(N)) / N: the instructions of one call and its loop, everything else
# (start-up, checking and loading both plugins, exit) cancelling out. Then it times the
# load cycle natively: plugport open+check+close against a bare dlopen+dlsym+dlclose of
# the same file, interleaved in one process; and the first open in fresh processes (each
# also with PLUGPORT_LOAD=in-place, docs/abi.md §10).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
n=${N:-100000}
cycles=${CYCLES:-2000}
export CARGO_INCREMENTAL=0
command -v valgrind >/dev/null || { echo "callgrind-bench: valgrind is not installed (apt-get install valgrind)" >&2; exit 1; }
cargo build --quiet --release -p bench-plugin-rust
cargo build --quiet --release -p plugport-bench --bin callgrind-bench
bin=target/release/callgrind-bench
tmp=$(mktemp -d "${TMPDIR:-/tmp}/callgrind-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Total Ir of one run of `$bin $1 $2` under callgrind.
ir() {
  valgrind --tool=callgrind --callgrind-out-file="$tmp/out" "$bin" "$1" "$2" >/dev/null 2>"$tmp/log" || {
    cat "$tmp/log" >&2
    echo "callgrind-bench: workload $1 failed" >&2
    exit 1
  }
  sed -n 's/^summary: *//p' "$tmp/out"
}

printf 'Ir per call, (Ir(2N) - Ir(N)) / N, N = %s\n' "$n"
declare -A per
while IFS=$'\t' read -r name about; do
  a=$(ir "$name" "$n")
  b=$(ir "$name" $((2 * n)))
  per[$name]=$(awk -v a="$a" -v b="$b" -v n="$n" 'BEGIN { printf "%.1f", (b - a) / n }')
  printf '%-18s %8s Ir  %s\n' "$name" "${per[$name]}" "$about"
done < <("$bin" list)

echo
echo "Against the floors (issue 10 goals):"
awk -v raw="${per[raw-c]}" -v host="${per[host-c]}" -v rraw="${per[raw-rust]}" \
  -v hrust="${per[host-rust]}" -v mcf="${per[malloc-copy-free]}" -v sc="${per[string-c]}" \
  -v sr="${per[string-rust]}" -v rsc="${per[raw-string-c]}" -v rsr="${per[raw-string-rust]}" 'BEGIN {
    printf "host -> C      - raw C slot     = %+6.1f Ir  (goal <= +2)\n", host - raw
    printf "raw Rust slot  - raw C slot     = %+6.1f Ir  (goal <= +4)\n", rraw - raw
    printf "host -> Rust   - raw C slot     = %+6.1f Ir\n", hrust - raw
    printf "string <- C    / malloc+copy+free = %5.2f x   (goal <= 1.1)\n", sc / mcf
    printf "raw string, no check / malloc+copy+free = %5.2f x   (what the callee and the release cost alone)\n", rsc / mcf
    printf "string <- C    - raw string, no check = %+6.1f Ir  (plugport: checks, wrapper, release)\n", sc - rsc
    printf "string <- Rust / malloc+copy+free = %5.2f x\n", sr / mcf
    printf "string <- Rust - raw Rust string, no check = %+6.1f Ir  (the plugin body is its own: \"x\".repeat(64))\n", sr - rsr
  }'

echo
echo "Load cycle of the 16 KiB C bench plugin, medians of batches of 20, $cycles cycles each:"
"$bin" load "$cycles"

echo
echo "First open in a fresh process (FIRST=${FIRST:-40} processes of each kind, medians):"
"$bin" first-open "${FIRST:-40}"

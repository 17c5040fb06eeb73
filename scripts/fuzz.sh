#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ for a bounded time (issue 11, F; docs/fuzzing.md).
#
#   scripts/fuzz.sh [SECONDS]      seconds per target (default $FUZZ_SECONDS, else 30)
#   FUZZ_TARGETS="wire_decode"     only these targets
#   FUZZ_RUNS=10000000             a number of executions per target instead of a time
#
# Seeds: the descriptor blob, world JSON and IR of the test worlds and every type's
# all-zero wire frame (fuzz/src/bin/make-seeds.rs), plus the example plugin files and
# their .plugport sections when target/examples holds them (scripts/build-examples.sh).
# cargo fuzz needs -Z flags (sanitizers, coverage): RUSTC_BOOTSTRAP=1 lets the stable
# toolchain accept them, so no nightly toolchain is needed. Crashes, leaks, timeouts and
# out-of-memory inputs stop the run with a non-zero exit and leave the input in
# fuzz/artifacts/<target>/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-${FUZZ_SECONDS:-30}}
targets=${FUZZ_TARGETS:-"descriptor_file descriptor_blob world_json wire_decode"}
export RUSTC_BOOTSTRAP=1 CARGO_INCREMENTAL=0
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked --version 0.13.2
fi
cd "$root/fuzz"
cargo fuzz build --sanitizer address
bin=target/x86_64-unknown-linux-gnu/release
seeds=$root/target/fuzz-seeds
rm -rf "$seeds"
"$bin/make-seeds" "$seeds"
mkdir -p "$seeds/descriptor_file"
n=0
# Plugins under 1 MiB (-max_len below): the C, C++ and Rust ones; Go's are larger.
while IFS= read -r so; do
    n=$((n + 1))
    cp "$so" "$seeds/descriptor_file/$n.so"
    objcopy -O binary --only-section=.plugport "$so" "$seeds/descriptor_blob/$n.bin" 2>/dev/null || true
done < <(find "$root/target/examples" -name '*.so' -size -1024k 2>/dev/null | sort)
echo "fuzz: $n example plugins as seeds"
for t in $targets; do
    mkdir -p "corpus/$t" "artifacts/$t"
    if [ -n "${FUZZ_RUNS:-}" ]; then
        limit=(-runs="$FUZZ_RUNS")
    else
        limit=(-max_total_time="$secs")
    fi
    echo "== fuzz $t (${FUZZ_RUNS:+$FUZZ_RUNS runs}${FUZZ_RUNS:-$secs s})"
    # -rss_limit_mb: the targets bound their own allocations well below it (a wire frame
    # may allocate at most 16 MiB); -timeout: no input may take 5 s (one takes well under a
    # millisecond; the margin is for a loaded machine).
    "$bin/$t" "corpus/$t" "$seeds/$t" "${limit[@]}" -rss_limit_mb=1024 -timeout=5 \
        -artifact_prefix="artifacts/$t/" \
        -max_len=1048576 -print_final_stats=1 2>&1 | grep -E "^(#|==|INFO: seed|stat::number_of_executed_units|stat::peak_rss|SUMMARY|ERROR)|panicked|Done" | tail -8
    test "${PIPESTATUS[0]}" -eq 0
done

#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ for a bounded time (issue 11, F; docs/fuzzing.md).
#
#   scripts/fuzz.sh [SECONDS]      seconds per target (default $FUZZ_SECONDS, else 30)
#   FUZZ_TARGETS="wire_decode"     only these targets
#   FUZZ_RUNS=10000000             a number of executions per target instead of a time
#   FUZZ_SEED=1                    libFuzzer's random seed (default: from the clock)
#   FUZZ_FRESH=1                   start from the seeds alone, in target/fuzz-fresh/<target>,
#                                  instead of the corpus kept in fuzz/corpus/<target>
#
# With FUZZ_RUNS, FUZZ_SEED and FUZZ_FRESH a run is repeatable: the test command uses
# them, so that CI passes or fails the same way on every machine, and a failure it
# reports replays here with the same command. Inputs that once failed are kept in
# fuzz/regressions/<target>/ and seed every run.
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
    corpus=corpus/$t
    if [ -n "${FUZZ_FRESH:-}" ]; then
        corpus=$root/target/fuzz-fresh/$t
        rm -rf "$corpus"
    fi
    mkdir -p "$corpus" "artifacts/$t"
    extra=()
    [ -d "regressions/$t" ] && extra+=("regressions/$t")
    [ -n "${FUZZ_SEED:-}" ] && extra+=(-seed="$FUZZ_SEED")
    if [ -n "${FUZZ_RUNS:-}" ]; then
        limit=(-runs="$FUZZ_RUNS")
    else
        limit=(-max_total_time="$secs")
    fi
    if [ -n "${FUZZ_RUNS:-}" ]; then what="$FUZZ_RUNS runs"; else what="$secs s"; fi
    echo "== fuzz $t ($what${FUZZ_SEED:+, seed $FUZZ_SEED})"
    # -rss_limit_mb: the targets bound their own allocations well below it (a wire frame
    # may allocate at most 16 MiB); -timeout: no input may take 5 s (one takes well under a
    # millisecond; the margin is for a loaded machine).
    "$bin/$t" "$corpus" "$seeds/$t" "${extra[@]}" "${limit[@]}" -rss_limit_mb=1024 -timeout=5 \
        -artifact_prefix="artifacts/$t/" \
        -max_len=1048576 -print_final_stats=1 2>&1 | awk '
        /panicked/ { print; tail = 4; next }   # the panic and its message
        tail > 0 && !/^ *[0-9]+: |^ +at / { print; tail--; next }
        /^(#|==|INFO: seed|stat::number_of_executed_units|stat::peak_rss|SUMMARY|ERROR)|Done/ { keep[++n % 8] = $0 }
        END { for (i = n - 7; i <= n; i++) if (i > 0) print keep[i % 8] }'
    test "${PIPESTATUS[0]}" -eq 0
done

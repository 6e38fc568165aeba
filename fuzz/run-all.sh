#!/usr/bin/env bash
# Run every fuzz target for SECONDS each, one after another (one fuzzing process at a time).
#
#   fuzz/run-all.sh SECONDS [TARGET...]
#
# Builds all targets once (nightly, cargo-fuzz defaults: optimized, debug assertions, overflow
# checks, AddressSanitizer) into a reused target dir, refreshes the seed corpora, then runs each
# target's binary with the dictionary and the limits below. Prints libFuzzer's final stats line
# per target and exits non-zero if any target crashed, timed out or ran out of memory; the
# input is saved under fuzz/artifacts/<target>/.
#
# Environment:
#   NLF_FUZZ_TARGET_DIR  build dir to reuse (default fuzz/target)
#   NLF_FUZZ_LOG_DIR     where each target's full log goes (default /tmp/nlf-fuzz-logs)
#   NLF_FUZZ_TOOLCHAIN   rustup toolchain for cargo-fuzz (default nightly)
#   NLF_FUZZ_SMOKE=1     build for a smoke run instead: unoptimized (debug assertions and
#                        overflow checks still on) and without AddressSanitizer. It builds in
#                        about 1.5 min instead of 5 from nothing (what CI pays on a fresh
#                        clone) and runs slower, which a run of a few seconds per target does
#                        not need; fuzz for real with the default build.
set -uo pipefail

usage() { echo "usage: $0 SECONDS [TARGET...]" >&2; exit 2; }
[ $# -ge 1 ] || usage
secs="$1"
shift
case "$secs" in '' | *[!0-9]*) usage ;; esac

fuzz="$(cd "$(dirname "$0")" && pwd)"
all=(read key28 verify jcs_differential roundtrip evaluate vendor)
if [ $# -gt 0 ]; then targets=("$@"); else targets=("${all[@]}"); fi
target_dir="${NLF_FUZZ_TARGET_DIR:-$fuzz/target}"
log_dir="${NLF_FUZZ_LOG_DIR:-/tmp/nlf-fuzz-logs}"
toolchain="${NLF_FUZZ_TOOLCHAIN:-nightly}"
triple="$(rustc "+$toolchain" -vV | sed -n 's/^host: //p')"
mkdir -p "$log_dir"

build_flags=()
profile=release
if [ "${NLF_FUZZ_SMOKE:-0}" = 1 ]; then
    build_flags=(--dev --sanitizer none)
    profile=debug
fi
echo "== build (${target_dir}, ${profile}${build_flags[*]:+, ${build_flags[*]}})"
(cd "$fuzz" && cargo "+$toolchain" fuzz build "${build_flags[@]}" --target "$triple" --target-dir "$target_dir") || {
    echo "fuzz build failed" >&2
    exit 1
}

echo "== seed corpora"
"$fuzz/seed-corpus.sh"

failed=()
summary=()
for t in "${targets[@]}"; do
    bin="$target_dir/$triple/$profile/$t"
    [ -x "$bin" ] || { echo "no fuzz target binary $bin" >&2; exit 1; }
    mkdir -p "$fuzz/corpus/$t" "$fuzz/artifacts/$t"
    log="$log_dir/$t.log"
    echo "== $t: ${secs} s (log: $log)"
    # libFuzzer's default is one in-process worker: no -jobs/-workers/-fork.
    "$bin" "$fuzz/corpus/$t" \
        -max_total_time="$secs" \
        -dict="$fuzz/nlf.dict" \
        -rss_limit_mb=2048 \
        -malloc_limit_mb=2048 \
        -timeout=10 \
        -print_final_stats=1 \
        -artifact_prefix="$fuzz/artifacts/$t/" \
        >"$log" 2>&1
    rc=$?
    stats="$(grep -E '^#[0-9]+' "$log" | tail -n 1)"
    echo "   exit $rc: ${stats:-no stats line}"
    if [ "$rc" -ne 0 ]; then
        failed+=("$t")
        grep -E 'ERROR: libFuzzer|panicked at|SUMMARY|Test unit written to' "$log" | sed 's/^/   /'
    fi
    summary+=("$t	exit=$rc	$stats")
done

echo "== summary"
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    echo "FAILED: ${failed[*]} (inputs under fuzz/artifacts/, logs under $log_dir)" >&2
    exit 1
fi
echo "all ${#targets[@]} targets ran ${secs} s each without a crash"

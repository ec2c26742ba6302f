#!/bin/sh
# run.sh DIR SECONDS HARNESS...: runs each libFuzzer harness (built in DIR)
# for SECONDS on its corpus DIR/corpus-HARNESS, seeded first (seed.sh); with
# SECONDS 0, only replays tests/fuzz-regressions/HARNESS/; with FUZZ_RUNS=N,
# N inputs instead of a time (0: the seeds alone). The output goes to
# DIR/HARNESS.log; what a harness finds is kept in DIR/artifacts/HARNESS/.
# Exits 1 when a harness crashed (or a regression input did). See
# docs/fuzzing.md. Run from the top of the project.
set -u
dir=$1
secs=$2
shift 2
status=0
for h in "$@"; do
    if [ "$secs" -gt 0 ]; then
        corpus=$dir/corpus-$h
        # FUZZ_RUNS=0: the seeds alone, each run once, nothing mutated, in a
        # corpus made afresh: what CI runs, the same on every run
        if [ "${FUZZ_RUNS:-}" = 0 ]; then
            corpus=$dir/seeds-$h
            rm -rf "$corpus"
        fi
        sh scripts/fuzz/seed.sh "$h" "$corpus"
        mkdir -p "$dir/artifacts/$h"
        log=$dir/$h.log
        if [ -n "${FUZZ_RUNS:-}" ]; then
            budget="-runs=$FUZZ_RUNS"
            what="its seeds"
            [ "$FUZZ_RUNS" = 0 ] || what="$FUZZ_RUNS inputs"
        else
            budget="-max_total_time=$secs"
            what="${secs}s"
        fi
        echo "fuzz: $h for $what on $corpus ($(ls "$corpus" | wc -l) inputs), log in $log"
        # shellcheck disable=SC2086
        if "$dir/$h" -max_len=65536 -timeout=20 -rss_limit_mb=2048 -dict=scripts/fuzz/yaml.dict \
            $budget -print_final_stats=1 -artifact_prefix="$dir/artifacts/$h/" \
            "$corpus" >"$log" 2>&1; then
            grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1 | sed "s/^/fuzz: $h: /"
        else
            status=1
            echo "fuzz: $h FAILED; the end of $log:" >&2
            tail -n 60 "$log" >&2
            echo "fuzz: minimise with: $dir/$h -minimize_crash=1 -runs=100000 $dir/artifacts/$h/crash-..." >&2
        fi
    else
        inputs=$(find "tests/fuzz-regressions/$h" -type f 2>/dev/null | LC_ALL=C sort)
        [ -n "$inputs" ] || continue
        n=$(printf '%s\n' "$inputs" | wc -l)
        # shellcheck disable=SC2086 # the names have no blanks (docs/fuzzing.md)
        if "$dir/$h" -rss_limit_mb=2048 -timeout=20 $inputs >"$dir/$h-replay.log" 2>&1; then
            echo "fuzz: $h: $n regression inputs replayed, none crashed"
        else
            status=1
            echo "fuzz: $h: a regression input crashed; the end of $dir/$h-replay.log:" >&2
            tail -n 60 "$dir/$h-replay.log" >&2
        fi
    fi
done
exit $status

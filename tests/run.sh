#!/bin/sh
# Runs every cmocka test binary and the CLI tests, shows their summaries, and
# ends with one line `N passed, N failed` counting test cases.
# usage: tests/run.sh BUILD_DIR TEST...
dir=$1
shift
passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
count() { # add the counts of a cmocka run (its output in $log)
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
}
for t in "$@"; do
    echo "== $t"
    CMOCKA_MESSAGE_OUTPUT=stdout "$dir/$t" >"$log" 2>&1
    rc=$?
    cat "$log"
    count
    if [ $rc -ne 0 ] && ! grep -q '^\[  FAILED  \]' "$log"; then
        echo "$t: crashed or exited $rc"
        failed=$((failed + 1))
    fi
done
# suite TITLE PREFIX CMD...: runs a suite that ends with
# `PREFIXN passed, N failed`, and adds its counts; one that does not get
# there (or exits above 1) counts as one failure.
suite() {
    title=$1 prefix=$2
    shift 2
    echo "== $title"
    "$@" >"$log" 2>&1
    rc=$?
    cat "$log"
    line=$(grep -E "^${prefix}[0-9]+ passed, [0-9]+ failed$" "$log" | tail -n 1)
    if [ -z "$line" ] || [ $rc -gt 1 ]; then
        echo "$title did not finish (exit $rc)"
        failed=$((failed + 1))
    fi
    p=$(echo "$line" | sed -n "s/^${prefix}\([0-9]*\) passed.*/\1/p")
    f=$(echo "$line" | sed -n "s/.* \([0-9]*\) failed$/\1/p")
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
}
suite "CLI tests" "cli: " sh tests/cli.sh "$dir/isorules"
suite "merge tests" "merge: " sh tests/merge.sh "$dir/isorules"
suite "examples against the installed library" "examples: " sh tests/examples.sh "$(pwd)/$dir/prefix"
suite "YAML test suite" "yaml-suite: " sh scripts/yaml-suite.sh "$dir"
suite "rule tests (isorules test tests/rules samples)" "" "$dir/isorules" test tests/rules samples
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

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
echo "== CLI tests"
sh tests/cli.sh "$dir/isorules" >"$log" 2>&1
rc=$?
cat "$log"
p=$(sed -n 's/^cli: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$log")
f=$(sed -n 's/^cli: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$log")
if [ -z "$p" ]; then
    echo "CLI tests did not finish (exit $rc)"
    failed=$((failed + 1))
else
    passed=$((passed + p))
    failed=$((failed + f))
fi
echo "== examples against the installed library"
sh tests/examples.sh "$(pwd)/$dir/prefix" >"$log" 2>&1
rc=$?
cat "$log"
p=$(sed -n 's/^examples: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$log")
f=$(sed -n 's/^examples: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$log")
if [ -z "$p" ]; then
    echo "example tests did not finish (exit $rc)"
    failed=$((failed + 1))
else
    passed=$((passed + p))
    failed=$((failed + f))
fi
echo "== YAML test suite"
sh scripts/yaml-suite.sh "$dir" >"$log" 2>&1
rc=$?
cat "$log"
p=$(sed -n 's/^yaml-suite: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$log" | tail -n 1)
f=$(sed -n 's/^yaml-suite: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$log" | tail -n 1)
if [ -z "$p" ]; then
    echo "YAML test suite did not finish (exit $rc)"
    failed=$((failed + 1))
else
    passed=$((passed + p))
    failed=$((failed + f))
fi
echo "== rule tests (isorules test tests/rules samples)"
"$dir/isorules" test tests/rules samples >"$log" 2>&1
rc=$?
cat "$log"
p=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$log" | tail -n 1)
f=$(sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$log" | tail -n 1)
if [ -z "$p" ] || [ $rc -gt 1 ]; then
    echo "rule tests did not run (exit $rc)"
    failed=$((failed + 1))
fi
passed=$((passed + ${p:-0}))
failed=$((failed + ${f:-0}))
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

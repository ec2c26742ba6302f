# lib.sh: what the shell test suites share (tests/cli.sh, tests/merge.sh,
# tests/examples.sh): a scratch folder, the counts, and checks that print
# `ok NAME` or `FAIL NAME` (with what went wrong) and count. A suite sources
# it, runs its checks and ends with `finish PREFIX`, which prints
# `PREFIX: N passed, N failed` (the line tests/run.sh reads) and exits 1 when
# any failed.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
# bad NAME [FILE]: a failure, with the start of FILE to show why
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && sed 's/^/     /' "$2" | head -20; }
# has NAME FILE PATTERN: FILE has a line matching the grep pattern
has() {
    if grep -q -- "$3" "$2"; then ok "$1"; else bad "$1: no line matching '$3' in $2" "$2"; fi
}
hasnt() {
    if grep -q -- "$3" "$2"; then bad "$1: unexpected line matching '$3'" "$2"; else ok "$1"; fi
}
# Every run of $bin is bounded: one that hangs fails instead (timeout exits
# 124, or 137 when the run ignored its TERM).
bounded=
command -v timeout >/dev/null 2>&1 && bounded="timeout -k 10 60"
# run NAME EXPECTED_EXIT ARGS...: runs $bin ARGS, output in $tmp/out, errors
# in $tmp/err
run() {
    name=$1 want=$2
    shift 2
    $bounded "$bin" "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" -eq "$want" ]; then
        ok "$name (exit $got)"
    elif [ -n "$bounded" ] && { [ "$got" -eq 124 ] || [ "$got" -eq 137 ]; }; then
        bad "$name: still running after 60 s" "$tmp/err"
    else
        bad "$name: exit $got, want $want" "$tmp/err"
    fi
}
finish() {
    echo "$1: $pass passed, $fail failed"
    [ "$fail" -eq 0 ]
    exit
}

#!/bin/sh
# seed.sh HARNESS CORPUS: adds the seed inputs of a fuzz harness to the
# corpus directory CORPUS (docs/fuzzing.md): every YAML file of samples/,
# tests/rules/ and tests/cli/, every file of tests/fuzz-regressions/HARNESS/
# and of scripts/fuzz/seeds/HARNESS/ (hand-written seeds for what the
# others never show: patterns for the rules of fuzz_audit, raw bytes),
# and for fuzz_audit also each folder's files as two inputs joined at a NUL
# byte (the harness's a.yaml and b.yaml: registers first, agencies second).
# Seeds are named by their SHA-1, as libFuzzer names its own, so seeding
# again adds nothing twice. Run from the top of the project.
set -eu
h=$1
dir=$2
max=65536
mkdir -p "$dir"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

add() { # add FILE
    [ -f "$1" ] || return 0
    [ "$(wc -c <"$1")" -le "$max" ] || return 0
    sum=$(sha1sum <"$1" | cut -c1-40)
    [ -e "$dir/$sum" ] || cp "$1" "$dir/$sum"
}

yaml=$(find samples tests/rules tests/cli -type f \( -name '*.yaml' -o -name '*.yml' \) | LC_ALL=C sort)
for f in $yaml; do
    add "$f"
done
for d in "tests/fuzz-regressions/$h" "scripts/fuzz/seeds/$h"; do
    [ -d "$d" ] || continue
    for f in "$d"/*; do
        add "$f"
    done
done
[ "$h" = fuzz_audit ] || exit 0

# joins files into one YAML stream (each file a document or more)
join() { # join OUT FILE...
    out=$1
    shift
    : >"$out"
    for f in "$@"; do
        [ -s "$out" ] && printf '\n---\n' >>"$out"
        cat "$f" >>"$out"
    done
}
n=0
for d in $(printf '%s\n' $yaml | sed 's|/[^/]*$||' | LC_ALL=C sort -u); do
    files=$(find "$d" -maxdepth 1 -type f \( -name '*.yaml' -o -name '*.yml' \) | LC_ALL=C sort)
    [ "$(printf '%s\n' $files | wc -l)" -ge 2 ] || continue
    regs=$(grep -l '^kind: *\(legal\|catalog\|plan\)' $files || true)
    rest=$(for f in $files; do printf '%s\n' $regs | grep -qx "$f" || echo "$f"; done)
    if [ -z "$regs" ]; then # no registers: the first file against the others
        regs=$(printf '%s\n' $files | head -n 1)
        rest=$(printf '%s\n' $files | tail -n +2)
    fi
    [ -n "$rest" ] || continue
    join "$tmp/a" $regs
    join "$tmp/b" $rest
    n=$((n + 1))
    { cat "$tmp/a"; printf '\0'; cat "$tmp/b"; } >"$tmp/pair$n"
    add "$tmp/pair$n"
    # and each agency file alone with the registers
    for f in $rest; do
        n=$((n + 1))
        { cat "$tmp/a"; printf '\0'; cat "$f"; } >"$tmp/pair$n"
        add "$tmp/pair$n"
    done
done

#!/bin/sh
# Tests of `isorules merge` (CLI.md "isorules merge", docs/scaling.md): the
# reports of shards merged give, byte for byte, the report of one audit of the
# union, in text and JSON, whatever the order of the reports; bad reports are
# refused with exit 2 and no output. usage: tests/merge.sh path/to/isorules
# Ends with `merge: N passed, N failed`.
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
cd "$here/.." || exit 2
# same NAME A B: the two files are identical
same() {
    if cmp -s "$2" "$3"; then ok "$1"; else diff "$2" "$3" >"$tmp/diff"; bad "$1" "$tmp/diff"; fi
}
A="--as-of 2021-12-31 -q"
S=samples/kien-giang-2021
REG="$S/legal.yaml $S/catalog.yaml $S/plan.yaml"

# --- the samples in two shards, each with the registers
"$bin" audit $A --format json $S >"$tmp/whole.json"
"$bin" audit $A $S >"$tmp/whole.txt" 2>&1
# shellcheck disable=SC2046
"$bin" audit $A --format json $REG $(ls $S/*.yaml | grep -v -e /legal.yaml -e /catalog.yaml -e /plan.yaml) >"$tmp/a.json"
"$bin" audit $A --format json $REG $S/huyen-chau-thanh >"$tmp/b.json"
run "merge two shards" 1 merge --format json "$tmp/a.json" "$tmp/b.json"
same "two shards: the JSON of one audit" "$tmp/whole.json" "$tmp/out"
run "merge them the other way round" 1 merge --format json "$tmp/b.json" "$tmp/a.json"
same "the order of the reports does not matter" "$tmp/whole.json" "$tmp/out"
"$bin" merge "$tmp/b.json" "$tmp/a.json" >"$tmp/merged.txt" 2>&1
same "two shards: the text of one audit" "$tmp/whole.txt" "$tmp/merged.txt"
run "one report merged alone" 1 merge --format json "$tmp/whole.json"
same "one report is itself" "$tmp/whole.json" "$tmp/out"
run "a shard twice" 1 merge --format json "$tmp/whole.json" "$tmp/a.json" "$tmp/whole.json"
same "what several shards report is kept once" "$tmp/whole.json" "$tmp/out"
run "-o writes the merged report" 1 merge --format json -o "$tmp/m.json" "$tmp/a.json" "$tmp/b.json"
same "-o: the same report" "$tmp/whole.json" "$tmp/m.json"
run "--fail-on never" 0 merge --fail-on never "$tmp/a.json" "$tmp/b.json"
# two agencies at one place (no audit writes that; a hand-made report may):
# ordered by what they say, whatever the order of the reports
python3 - "$tmp/b.json" "$tmp/b2.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["agencies"][0]["id"] = "zz-other"
json.dump(r, open(sys.argv[2], "w"), ensure_ascii=False, indent=2)
PY
"$bin" merge --format json "$tmp/b.json" "$tmp/b2.json" >"$tmp/bb2.json" 2>/dev/null
"$bin" merge --format json "$tmp/b2.json" "$tmp/b.json" >"$tmp/b2b.json" 2>/dev/null
same "agencies at one place: the order of the reports does not matter" "$tmp/bb2.json" "$tmp/b2b.json"

# --- a country by province: the national register in every shard
python3 scripts/gen-province.py "$tmp/vn" --provinces 3 --agencies 6 --procedures 12 >/dev/null
"$bin" audit $A --format json "$tmp/vn" >"$tmp/vn.json"
for p in p00 p01 p02; do
    "$bin" audit $A --format json "$tmp/vn/legal.yaml" "$tmp/vn/$p" >"$tmp/vn-$p.json"
done
run "merge three provinces" 1 merge --format json "$tmp"/vn-p0*.json
same "three provinces: the report of the country" "$tmp/vn.json" "$tmp/out"

# --- an agency id used in two shards: FMT001, as one audit gives it
mkdir -p "$tmp/dup/a" "$tmp/dup/b"
printf 'kind: agency\nid: so-x\nname: Sở X\nprocedures: []\n' >"$tmp/dup/a/x.yaml"
printf 'kind: agency\nname: Sở Y\nid: so-x\nprocedures: []\n' >"$tmp/dup/b/y.yaml"
"$bin" audit $A --lang en --format json "$tmp/dup" >"$tmp/dup.json"
"$bin" audit $A --lang en --format json "$tmp/dup/a" >"$tmp/dup-a.json"
"$bin" audit $A --lang en --format json "$tmp/dup/b" >"$tmp/dup-b.json"
grep -q '"FMT001"' "$tmp/dup.json" && ok "one audit finds the repeated id" || bad "no FMT001 in one audit" "$tmp/dup.json"
run "merge shards with a repeated id" 1 merge --lang en --format json "$tmp/dup-b.json" "$tmp/dup-a.json"
same "repeated id: FMT001 where one audit puts it" "$tmp/dup.json" "$tmp/out"
# in Vietnamese: the merged report is in the reports' language, whatever
# --lang says, as one audit of the union in that language
"$bin" audit $A --lang vi --format json "$tmp/dup" >"$tmp/dup-vi.json"
"$bin" audit $A --lang vi --format json "$tmp/dup/a" >"$tmp/dup-vi-a.json"
"$bin" audit $A --lang vi --format json "$tmp/dup/b" >"$tmp/dup-vi-b.json"
run "merge Vietnamese shards with --lang en" 1 merge --lang en --format json "$tmp/dup-vi-a.json" "$tmp/dup-vi-b.json"
same "the merged report is Vietnamese, as one audit's" "$tmp/dup-vi.json" "$tmp/out"

# --- errors of the shards: kept, in file order, once
mkdir -p "$tmp/errs/a" "$tmp/errs/b"
cp "$S/skhcn.yaml" "$tmp/errs/a/"
printf 'kind: agency\nid: broken\nprocedures: [\n' >"$tmp/errs/b/broken.yaml"
cp "$S/legal.yaml" "$tmp/errs/legal.yaml"
"$bin" audit $A --format json "$tmp/errs" >"$tmp/errs.json"
"$bin" audit $A --format json "$tmp/errs/legal.yaml" "$tmp/errs/a" >"$tmp/errs-a.json"
"$bin" audit $A --format json "$tmp/errs/legal.yaml" "$tmp/errs/b" >"$tmp/errs-b.json"
run "merge a shard with an error" 2 merge --format json "$tmp/errs-a.json" "$tmp/errs-b.json"
same "errors as one audit gives them" "$tmp/errs.json" "$tmp/out"

# --- what the shards did not run is not added; what one audit reports twice stays twice
"$bin" audit $A --only QMS001 --format json "$tmp/dup" >"$tmp/only.json"
"$bin" audit $A --only QMS001 --format json "$tmp/dup/a" >"$tmp/only-a.json"
"$bin" audit $A --only QMS001 --format json "$tmp/dup/b" >"$tmp/only-b.json"
run "merge shards that did not run FMT001" 0 merge --format json "$tmp/only-a.json" "$tmp/only-b.json"
same "no FMT001 added for the repeated id" "$tmp/only.json" "$tmp/out"
cat >"$tmp/twice.lua" <<'LUA'
rule { id = "TWICE", severity = "info", check = function(a, ctx)
  ctx.report(a, "dup", "same twice") ctx.report(a, "dup", "same twice") end }
rule { id = "ZZ1", severity = "info", scope = "model", check = function(index, ctx)
  ctx.report(nil, "nowhere", "about no file") end }
rule { id = "ZE1", severity = "info", scope = "model", check = function(index, ctx)
  error("the final pass fails") end }
LUA
R="--rules $tmp/twice.lua --format json"
"$bin" audit $A $R "$tmp/dup" >"$tmp/tw.json"
"$bin" audit $A $R "$tmp/dup/a" >"$tmp/tw-a.json"
"$bin" audit $A $R "$tmp/dup/b" >"$tmp/tw-b.json"
run "merge one report with a finding made twice" 2 merge --format json "$tmp/tw-a.json"
same "one report is itself, twice-made findings included" "$tmp/tw-a.json" "$tmp/out"
run "merge shards with final-pass findings and errors" 2 merge --format json "$tmp/tw-b.json" "$tmp/tw-a.json"
same "a finding about no file last, the final pass's errors last" "$tmp/tw.json" "$tmp/out"
"$bin" audit $A --format json "$tmp/dup/a" "$tmp/no-such" >"$tmp/p1.json"
"$bin" audit $A --format json "$tmp/dup/b" "$tmp/no-such-either" >"$tmp/p2.json"
"$bin" merge --format json "$tmp/p1.json" "$tmp/p2.json" >"$tmp/p12.json"
"$bin" merge --format json "$tmp/p2.json" "$tmp/p1.json" >"$tmp/p21.json"
same "errors about paths: the order of the reports does not matter" "$tmp/p12.json" "$tmp/p21.json"

"$bin" audit $A --format json --only QMS001 "$tmp/dup/b" >"$tmp/r1.json"
run "reports of other rules" 2 merge "$tmp/dup-a.json" "$tmp/r1.json"
has "are refused" "$tmp/err" 'r1.json: audited with other rules than the reports before it'
# a report that does not list its rules ran the default ones, FMT001 among
# them: the id used in both shards is FMT001, and the merged report (which
# cannot list the rules either) merged again says the same
printf '{ "isorules": 1, "as_of": "2021-12-31", "findings": [], "agencies": [ { "id": "stp", "file": "a.yaml" } ] }\n' >"$tmp/nr1.json"
printf '{ "isorules": 1, "as_of": "2021-12-31", "findings": [], "agencies": [ { "id": "stp", "file": "b.yaml" } ], "rules": [] }\n' >"$tmp/nr2.json"
run "a report without its rules and one with them" 1 merge --format json "$tmp/nr1.json" "$tmp/nr2.json"
has "the id used twice is FMT001" "$tmp/out" '"rule": "FMT001"'
cp "$tmp/out" "$tmp/nr12.json"
run "that merged report merged alone" 1 merge --format json "$tmp/nr12.json"
same "is itself" "$tmp/nr12.json" "$tmp/out"
# errors placed by the files lists: when one report has none, the merged
# report has none, so no error is placed by them, or merging it again
# would order them otherwise
printf '{ "isorules": 1, "as_of": "2021-12-31", "findings": [], "errors": [ { "message": "a", "file": "z.yaml" }, { "message": "b", "file": "a.yaml" } ] }\n' >"$tmp/pf1.json"
printf '{ "isorules": 1, "as_of": "2021-12-31", "findings": [], "files": [ "a.yaml" ] }\n' >"$tmp/pf2.json"
run "a report without a files list, one with" 2 merge --format json "$tmp/pf1.json" "$tmp/pf2.json"
cp "$tmp/out" "$tmp/pf12.json"
run "that merged report merged alone" 2 merge --format json "$tmp/pf12.json"
same "orders its errors alike" "$tmp/pf12.json" "$tmp/out"

# --- hostile reports
printf '{ "isorules": 1, "as_of": "2021-12-31", "findings": [], "summary": { "files": 2147483647 } }\n' >"$tmp/big.json"
run "counts past INT_MAX are clamped" 0 merge --format json "$tmp/big.json" "$tmp/big.json"
has "the files count stops at INT_MAX" "$tmp/out" '"files": 2147483647,'
{
    printf '{ "isorules": 1, "as_of": "2021-12-31", "findings": [ &a { "rule": "X", "severity": "info", "message": "%s", "file": "f" }' \
        "$(head -c 2000 /dev/zero | tr '\0' x)"
    i=0
    while [ $i -lt 200 ]; do printf ', *a'; i=$((i + 1)); done
    printf ' ] }\n'
} >"$tmp/alias.json"
run "a report with aliases" 2 merge "$tmp/alias.json"
has "aliases are refused" "$tmp/err" "anchors and aliases are not JSON"
printf '{ "isorules": 1, "as_of": "2021-12-31", "findings": [], "errors": [ {} ] }\n' >"$tmp/e0.json"
run "an error without file or message" 2 merge --format text "$tmp/e0.json"
has "is refused" "$tmp/err" "an error without file or message"
printf '{ "isorules": 1, "as_of": "2021-12-31", "findings": [ null, { "rule": "X", "severity": "info", "message": "m", "file": "f" } ] }\n' >"$tmp/n0.json"
run "a findings entry that is not an object" 2 merge "$tmp/n0.json"
has "is refused, not skipped" "$tmp/err" "an entry of findings is not an object"
"$bin" audit $A --lang vi --format json "$tmp/dup/a" >"$tmp/vi.json"
run "reports in two languages" 2 merge "$tmp/dup-a.json" "$tmp/vi.json"
has "are refused" "$tmp/err" "written in vi, not en"

# --- reports that cannot be merged: exit 2, the reason, nothing written
"$bin" audit --as-of 2022-06-30 -q --format json "$S/skhcn.yaml" >"$tmp/later.json"
run "different as_of refused" 2 merge -o "$tmp/no.json" "$tmp/a.json" "$tmp/later.json"
grep -q "later.json: audited as of 2022-06-30, not 2021-12-31" "$tmp/err" && ok "the message names the report and both dates" || bad "as_of message" "$tmp/err"
[ -e "$tmp/no.json" ] && bad "a refused merge wrote its output" || ok "no output written"
run "a missing report" 2 merge "$tmp/a.json" "$tmp/missing.json"
grep -q "missing.json: cannot read it" "$tmp/err" && ok "the message names the missing report" || bad "missing message" "$tmp/err"
printf '{ "isorules": 1, "as_of": "2021-12-31", "findings": [\n' >"$tmp/cut.json"
run "a report cut short" 2 merge "$tmp/cut.json"
grep -q "cut.json:[0-9]*:[0-9]*: " "$tmp/err" && ok "its error has a line and column" || bad "cut message" "$tmp/err"
run "a text report" 2 merge "$tmp/whole.txt"
grep -q "whole.txt:1:[0-9]*: not a JSON report of isorules audit" "$tmp/err" && ok "a text report is named as such" || bad "text report message" "$tmp/err"
run "audit options are refused" 2 merge --only QMS001 "$tmp/a.json"
run "no report" 2 merge
run "merge --help" 0 merge --help
grep -q "usage: isorules merge" "$tmp/out" && ok "merge --help shows its usage" || bad "merge --help" "$tmp/out"

finish merge

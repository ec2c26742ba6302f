#!/bin/sh
# CLI tests on real files (CLI.md): exit codes, text and JSON output, errors,
# atomic output, order independence. usage: tests/cli.sh path/to/isorules
# Ends with `cli: N passed, N failed`.
bin=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
cd "$here/.." || exit 2
json_ok() {
    if python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$2" 2>"$tmp/jsonerr"; then ok "$1"; else bad "$1: invalid JSON" "$tmp/jsonerr"; fi
}
S=samples/kien-giang-2021
A="--as-of 2021-12-31 --no-progress"

# --- the samples, text and JSON
run "audit samples" 1 audit $A samples/
has "text finding with position" "$tmp/out" "^$S/so-tu-phap.yaml:[0-9]*:[0-9]*: error QMS001 \[stp\] "
has "summary line" "$tmp/out" "errors*, [0-9]* warnings*.* in [0-9]* agencies ([0-9]* rules, as of 2021-12-31)$"
run "audit samples json" 1 audit $A --format json samples/
json_ok "json parses" "$tmp/out"
cp "$tmp/out" "$tmp/folder.json"
python3 - "$tmp/out" >"$tmp/check" 2>&1 <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["isorules"] == 1 and r["as_of"] == "2021-12-31", r
keys = ["rule", "severity", "agency", "subject", "message", "file", "line", "column"]
for f in r["findings"]:  # a finding of the final pass says so (docs/cli.md)
    assert list(f) == keys or (list(f) == keys + ["final"] and f["final"] is True), f
    assert f["line"] > 0 and f["column"] > 0, f
assert any("final" in f for f in r["findings"])
s = r["summary"]
assert list(s) == ["files", "agencies", "rules", "errors", "warnings", "infos"], s
assert s["errors"] == sum(f["severity"] == "error" for f in r["findings"])
assert s["agencies"] == len(r["agencies"]) > 0
for a in r["agencies"]:
    assert list(a) == ["id", "file", "line", "column", "id_line", "id_column"], a
assert s["files"] == len(r["files"]) and r["files"] == sorted(r["files"], key=lambda p: p.encode())
assert list(r)[-1] == "files", list(r)
assert r["errors"] == []
print("fields ok")
PY
has "json fields as CLI.md" "$tmp/check" "fields ok"

# --- the same files in another order give the same report
files=$(find samples -name '*.yaml' | sort -r)
# shellcheck disable=SC2086
run "audit files in reverse order" 1 audit $A --format json $files
if cmp -s "$tmp/out" "$tmp/folder.json"; then ok "same report byte for byte"; else bad "order changed the report"; fi

# --- -j: workers give the report of one thread, byte for byte
for set in samples "tests/cli/dropped" "--rules docs/examples/rules tests/cli/examples"; do
    # shellcheck disable=SC2086
    "$bin" audit $A --format json -j 1 $set >"$tmp/j1" 2>/dev/null
    same=1
    for j in 2 3; do
        # shellcheck disable=SC2086
        "$bin" audit $A --format json -j $j $set >"$tmp/jn" 2>/dev/null
        cmp -s "$tmp/j1" "$tmp/jn" || same=0
    done
    if [ $same -eq 1 ] && [ -s "$tmp/j1" ]; then ok "-j 1, 2, 3 give one report: $set"; else bad "-j changes the report: $set"; diff "$tmp/j1" "$tmp/jn" | head -5; fi
done

# --- the JSON agency list waits in an unlinked file of $TMPDIR, or in memory
mkdir "$tmp/spill"
TMPDIR="$tmp/spill" "$bin" audit $A --format json samples >"$tmp/spilled" 2>/dev/null
TMPDIR="$tmp/none" "$bin" audit $A --format json samples >"$tmp/inmem" 2>/dev/null
if cmp -s "$tmp/spilled" "$tmp/folder.json" && cmp -s "$tmp/inmem" "$tmp/folder.json"; then
    ok "the agency list is the same through a file and through memory"
else
    bad "the agency list differs with TMPDIR" "$tmp/inmem"
fi
if [ -z "$(ls -A "$tmp/spill")" ]; then ok "no temporary file left in TMPDIR"; else bad "left in TMPDIR: $(ls "$tmp/spill")"; fi

# --- selection and exit codes
run "only QMS002" 1 audit $A --only QMS002 samples/
hasnt "only QMS002: no QMS001" "$tmp/out" " QMS001 "
has "only QMS002: QMS002" "$tmp/out" " QMS002 "
run "skip prefix" 0 audit $A --skip 'QMS*,FMT002,BUD*' --fail-on error samples/
run "fail-on never" 0 audit $A --fail-on never samples/
run "fail-on info" 1 audit $A --only FMT003 --fail-on info samples/
run "fail-on warning with info only" 0 audit $A --only FMT003 --fail-on warning samples/

# --- bad input: errors named, the rest still audited
run "duplicate key" 2 audit $A tests/cli/dup-key.yaml tests/cli/good.yaml
has "duplicate key named with both positions" "$tmp/err" "tests/cli/dup-key.yaml:7:5: duplicate key \"process\" (first at line 6, column 5)"
has "other file still audited" "$tmp/out" "^tests/cli/good.yaml:6:5: error QMS001 \[good\] 1.000003"
run "syntax error" 2 audit $A --format json tests/cli/syntax.yaml tests/cli/good.yaml
json_ok "syntax error json parses" "$tmp/out"
has "syntax error has a position" "$tmp/out" '"file": "tests/cli/syntax.yaml", "line": [1-9]'
run "missing path" 2 audit $A tests/cli/nope.yaml tests/cli/good.yaml
has "missing path named" "$tmp/err" "tests/cli/nope.yaml: No such file"
mkdir "$tmp/empty"
run "folder without YAML" 2 audit $A "$tmp/empty"
has "folder without YAML named" "$tmp/err" "no YAML files"
run "depth limit" 2 audit $A --limit depth=2 tests/cli/good.yaml
has "depth limit named with position" "$tmp/err" "good.yaml:6:5: nesting deeper than 2"

run "a file that fails leaves nothing in the model" 2 audit $A tests/cli/dropped
has "the failed file is an error" "$tmp/err" "tests/cli/dropped/a.yaml:10:1: "
hasnt "its agency is not a repeat of a later one" "$tmp/out" "FMT001"
hasnt "its reports are not checked" "$tmp/out" "QMS051"
has "only the other file's agencies count" "$tmp/out" "in 2 agencies"

# --- found by review: each once broke
mkdir -p "$tmp/dup"
cp tests/cli/good.yaml "$tmp/dup/a.yaml"
ln -s a.yaml "$tmp/dup/b.yaml"
cp tests/cli/examples/more.yaml "$tmp/dup/c.yaml"
ln -s nowhere "$tmp/dup/README"
run "a file reached twice is read once; a dangling README is not an input" 1 audit $A --format json "$tmp/dup"
has "read once" "$tmp/out" '"summary": { "files": 2,'
mkdir -p "$tmp/many"
printf 'kind: agency\nid: skhcn\nrole: dost\nqms: { applied_since: 2021-12-31 }\n' >"$tmp/many/000.yaml"
for n in 01 02 03 04 05 06 07 08 09 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30; do
    printf 'kind: agency\nid: a%s\nqms:\n  applied_since: 2021-12-31\n  reports:\n    - { year: 2021, submitted: 2021-12-10, to: wrong }\n' $n >"$tmp/many/a$n.yaml"
done
"$bin" audit $A --only QMS051 -j 1 "$tmp/many" >"$tmp/m1" 2>&1
"$bin" audit $A --only QMS051 -j 3 "$tmp/many" >"$tmp/m3" 2>&1
if cmp -s "$tmp/m1" "$tmp/m3"; then ok "many small files: -j 1 and -j 3 agree"; else bad "many small files: -j changes the report"; fi
if [ "$(grep -c 'QMS051 \[a[0-9]*\] 2021' "$tmp/m1")" = 30 ]; then ok "every kept position is its own agency's"; else bad "kept positions mixed up" "$tmp/m1"; fi
mkdir -p "$tmp/order"
printf 'kind: agency\nid: x\nid: y\n' >"$tmp/order/a.yaml"
printf 'kind: legal\ndocuments: [\n' >"$tmp/order/b.yaml"
run "errors in path order" 2 audit $A --format json "$tmp/order"
python3 -c 'import json,sys; e=[x["file"][-6:] for x in json.load(open(sys.argv[1]))["errors"]]; sys.exit(e != ["a.yaml","b.yaml"])' "$tmp/out" && ok "errors come file by file" || bad "errors out of order" "$tmp/out"
mkdir -p "$tmp/legal"
printf 'kind: legal\ndocuments:\n  - { id: X-1 }\n---\nkind: legal\ndocuments: [\n' >"$tmp/legal/a.yaml"
printf 'kind: legal\ndocuments:\n  - { id: X-1 }\n' >"$tmp/legal/b.yaml"
run "a file that fails leaves no legal ids" 2 audit $A "$tmp/legal"
hasnt "no repeat of an id from the failed file" "$tmp/out" "FMT001"
"$bin" audit $A -o "$tmp/mode.txt" samples/ >/dev/null 2>&1
case $(ls -l "$tmp/mode.txt") in -rw-r--r--*|-rw-rw-r--*|-rw-rw-rw-*) ok "-o report readable as a new file is";; *) bad "-o report mode: $(ls -l "$tmp/mode.txt")";; esac

run "a kind with a NUL byte is no kind" 1 audit $A --only FMT001 tests/cli/nul-kind.yaml
has "FMT001 for it" "$tmp/out" "nul-kind.yaml:1:1: error FMT001"

# --- hostile rules (tests/hostile/README.md): the first line of each file
# says the outcome it must get; the other rules must find exactly what they
# find without it, and nothing may escape
H="--limit instructions=2000000 --limit memory=8000000 --format json"
# shellcheck disable=SC2086
run "hostile: good.lua alone" 1 audit $A $H --rules tests/hostile/good.lua tests/cli/good.yaml
cp "$tmp/out" "$tmp/alone.json"
has "hostile: good.lua sees what it should" "$tmp/alone.json" \
    '"rule": "MINE01", .*"message": "agency good seen (OK ok 1 a+b H function 2 2021-12-31 good.lua'"'"'s own global 2 3)"'
has "hostile: the built-in rules report" "$tmp/alone.json" '"rule": "QMS001"'
for h in tests/hostile/*.lua; do
    hn=${h#tests/hostile/}
    [ "$hn" = good.lua ] && continue
    expect=$(sed -n '1s/^-- expect: //p' "$h")
    case $expect in
    "error "* | "load-error "*) want=2 ;;
    "finding "*) want=1 ;;
    *)
        bad "hostile $hn: its first line is not '-- expect: error|load-error|finding TEXT'"
        continue
        ;;
    esac
    rm -f /tmp/isorules-pwned
    # shellcheck disable=SC2086
    run "hostile $hn" $want audit $A $H --rules "$h" --rules tests/hostile/good.lua tests/cli/good.yaml
    python3 - "$h" "$expect" "$tmp/out" "$tmp/alone.json" >"$tmp/verdicts" 2>&1 <<'PY'
import json, re, sys
path, expect, out, alone = sys.argv[1:]
kind, text = expect.split(" ", 1)
def verdict(good, what, got):
    print("ok " + what if good else "bad %s; got %s" % (what, got))
try:
    r = json.load(open(out))
except ValueError as e:
    verdict(False, "the report is JSON", e)
    sys.exit()
m = re.search(r'\bid\s*=\s*"([^"]+)"', open(path).read())
rule = m.group(1) if m else None
mine = [f["message"][:200] for f in r["findings"] if f["rule"] == rule]
errors = r["errors"]
if kind == "finding":
    verdict(errors == [], "no errors entry", errors)
    verdict(len(mine) == 1 and text in mine[0], "%s reports '%s'" % (rule, text), mine)
else:
    e = errors[0] if len(errors) == 1 else {}
    named = e.get("file") == path and e.get("line", 0) > 0
    if kind == "error":  # the rule and the input it was auditing (none in a model rule's check)
        named = named and e.get("rule") == rule and e.get("input", {"file": "tests/cli/good.yaml"})["file"] == "tests/cli/good.yaml"
    else:  # the file did not load: no rule, no input
        named = named and "rule" not in e and "input" not in e
    verdict(len(errors) == 1 and named, "one errors entry, naming %s" % (rule if kind == "error" else "the file"), errors)
    verdict(text in e.get("message", ""), "it says '%s'" % text, e.get("message"))
    verdict(mine == [], "%s reports nothing" % rule, mine)
others = [f for f in r["findings"] if f["rule"] != rule]
before = json.load(open(alone))["findings"]
verdict(others == before, "the other rules find what they find alone",
        "new %s, missing %s" % ([f for f in others if f not in before], [f for f in before if f not in others]))
PY
    while read -r verdict what; do
        if [ "$verdict" = ok ]; then ok "hostile $hn: $what"; else bad "hostile $hn: $what"; fi
    done <"$tmp/verdicts"
    hasnt "hostile $hn: no sanitizer report" "$tmp/err" "Sanitizer\\|runtime error:"
    if [ -e /tmp/isorules-pwned ]; then bad "hostile $hn: /tmp/isorules-pwned was created"; else ok "hostile $hn: nothing created"; fi
done

# --- output: atomic, failures clear
run "output file" 1 audit $A -o "$tmp/report.json" --format json samples/
json_ok "output file is complete" "$tmp/report.json"
run "output to a missing folder" 2 audit $A -o "$tmp/no/such/report.txt" samples/
if [ -e "$tmp/no" ]; then bad "missing folder created"; else ok "nothing written"; fi
run "output to a full disk" 2 audit $A -o /dev/full samples/
"$bin" audit $A samples/ 2>"$tmp/err" | head -1 >/dev/null
ok "closed pipe did not hang"
ls "$tmp" | grep -q 'tmp\.' && bad "temporary file left" || ok "no temporary file left"

# --- interrupted mid-audit: no report, no temporary file, death by the signal
for sig in INT TERM; do
    mkdir -p "$tmp/int-$sig"
    "$bin" audit $A --limit instructions=0 --rules tests/hostile/forever-loop.lua -o "$tmp/int-$sig/report.json" \
        --format json samples/ 2>"$tmp/err" &
    pid=$!
    sleep 1
    kill -$sig $pid
    wait $pid
    got=$?
    left=$(ls "$tmp/int-$sig")
    if [ -z "$left" ]; then ok "SIG$sig: nothing left behind"; else bad "SIG$sig left: $left"; fi
    if [ $got -gt 128 ]; then ok "SIG$sig: ends by the signal ($got)"; else bad "SIG$sig: exit $got" "$tmp/err"; fi
done

# --- no leak and no memory error in a full audit, with workers, bad input and
# a failing rule (valgrind on the normal build: make deps installs it)
if vg=$(command -v valgrind); then
    plain=$(dirname "$bin")/../isorules
    [ -x "$plain" ] || plain=$bin
    "$vg" --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99 -q \
        "$plain" audit $A -j 2 --format json -o /dev/null --limit instructions=200000 \
        --rules tests/hostile/forever-loop-in-pcall.lua samples/ tests/cli/ >"$tmp/vg" 2>&1
    if [ $? -eq 2 ] && ! grep -q "==[0-9]*==" "$tmp/vg"; then ok "valgrind: a full audit frees everything, touches nothing wrong"; else bad "valgrind" "$tmp/vg"; fi
else
    bad "valgrind is not installed (make deps installs it)"
fi

# --- usage
run "unknown option" 2 audit --bogus samples/
run "sarif not yet" 2 audit --format sarif samples/
run "bad date" 2 audit --as-of 2021-02-30 samples/
run "bad limit" 2 audit --limit nosuch=1 samples/
run "no paths" 2 audit
run "unknown command" 2 frobnicate
run "version" 0 version
has "version printed" "$tmp/out" "^isorules [0-9]*\.[0-9]*\.[0-9]*"
run "help" 0 --help
has "help lists audit" "$tmp/out" "audit \[options\] PATH"
run "help limits" 0 help limits
has "limits listed" "$tmp/out" "instructions *10000000"
run "rules" 0 rules
has "rules lists QMS001" "$tmp/out" "^QMS001 *error"
run "rules json" 0 rules --format json
json_ok "rules json parses" "$tmp/out"
run "rules show" 0 rules show QMS001 --lang vi
has "rules show names the file" "$tmp/out" "rules/qms.lua:[0-9]"
run "rules show unknown" 2 rules show NOPE01
if python3 scripts/rules-doc.py "$bin" | cmp -s - docs/rules.md; then ok "docs/rules.md is generated from the rules"; else bad "docs/rules.md is stale: run python3 scripts/rules-doc.py build/isorules > docs/rules.md"; fi

# --- the examples of docs/writing-rules.md run and find what the guide says
run "doc examples" 1 audit $A --rules docs/examples/rules --only 'EX*' tests/cli/examples
has "EX001 fires" "$tmp/out" "^tests/cli/examples/agencies.yaml:1:1: warning EX001 \[xa-a\] xa-a: agency xa-a has no name$"
has "EX002 fires" "$tmp/out" "^tests/cli/examples/agencies.yaml:8:5: error EX002 \[xa-a\] xa-a: no internal audit between 2020-12-31 and 2021-12-31$"
has "EX003 fires at the parent" "$tmp/out" "^tests/cli/examples/agencies.yaml:4:9: warning EX003 \[xa-a\] xa-a: parent huyen-khong-co is not in the model$"
hasnt "huyen-b is clean" "$tmp/out" "huyen-b"
has "EX003 from the second file" "$tmp/out" "^tests/cli/examples/more.yaml:16:9: warning EX003 \\[xa-d\\] xa-d: parent huyen-khong-co-nua is not in the model$"
run "doc examples in Vietnamese" 1 audit $A --lang vi --rules docs/examples/rules --only 'EX*' tests/cli/examples
has "Vietnamese message" "$tmp/out" "cơ quan xa-a chưa có tên"
has "Vietnamese summary" "$tmp/out" "1 lỗi, 3 cảnh báo trong 4 cơ quan (3 quy tắc, tính đến ngày 2021-12-31)"

# --- isorules test
run "test: the rule fixtures pass" 0 test tests/rules
has "test: last line" "$tmp/out" "^[1-9][0-9]* passed, 0 failed$"
run "test: a failing test" 1 test tests/cli/tests-failing
has "test: FAIL line" "$tmp/out" "^FAIL tests/cli/tests-failing/wrong.yaml$"
has "test: missing finding" "$tmp/out" "missing: (QMS002, x, A)"
has "test: unexpected finding with position" "$tmp/out" "unexpected: (QMS001, x, A) at tests/cli/tests-failing/wrong.yaml:4:5"
has "test: counts" "$tmp/out" "^0 passed, 1 failed$"
run "test: a malformed expect document" 2 test tests/cli/tests-broken
has "test: says why" "$tmp/out" "cannot run: the expect document needs as_of"
run "test: a rule file that does not load" 2 test --rules tests/cli/bad-rule.lua tests/cli/tests-folder
has "test: blames the rule file" "$tmp/out" "cannot run: a rule file failed to load"
has "test: with its error" "$tmp/out" "error: tests/cli/bad-rule.lua:2:"
run "test: expect.yaml takes its folder" 0 test tests/cli/tests-folder
has "test: expect.yaml ok" "$tmp/out" "^ok   tests/cli/tests-folder/expect.yaml$"
run "test: audit ignores expect documents" 1 audit $A tests/cli/tests-folder
has "test: audit of the folder" "$tmp/out" "QMS001 \[folder-a\] F.1"

finish cli

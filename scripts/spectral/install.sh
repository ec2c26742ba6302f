#!/bin/sh
# Installs Spectral (npm @stoplight/spectral-cli), the peer that `make bench`
# measures isorules against, into build/npm-spectral unless it is there.
#
# usage: sh scripts/spectral/install.sh      (prints nothing when installed)
#
# The version and the tarball's integrity are pinned here; the whole tree of
# its dependencies is pinned by scripts/spectral/package-lock.json (every
# package with its integrity), installed with `npm ci`, so that every machine
# benchmarks the same code. A prefix of its own, not build/npm: the YAML test
# suite (scripts/yaml-suite.sh) installs there with `npm install`, which would
# prune what it does not know. Exits 1, saying why, when it cannot install.
#
# To move to a newer Spectral: change the version in package.json and below,
# run `npm install --package-lock-only` in this folder, and copy the integrity
# of node_modules/@stoplight/spectral-cli from package-lock.json to below.
set -u
version=6.16.3
integrity=sha512-corAOQ/WhGoPJOQ3Tcipyn64TgKYDkEhsDplS6vNSGys3kzi9+zzxiVOlbzk9mWuafovzoW+TpGCoNwIZvFf5w==

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
npm_dir=$root/build/npm-spectral
pkg=$npm_dir/node_modules/@stoplight/spectral-cli
bin=$npm_dir/node_modules/.bin/spectral

give_up() {
    echo "spectral: $1" >&2
    exit 1
}

# the committed lock names this version with this integrity
pinned() {
    python3 - "$1" "$version" "$integrity" <<'PY'
import json, sys
lock, version, integrity = sys.argv[1:]
try:
    p = json.load(open(lock))["packages"]["node_modules/@stoplight/spectral-cli"]
except (OSError, ValueError, KeyError):
    sys.exit(1)
sys.exit(0 if p.get("version") == version and p.get("integrity") == integrity else 1)
PY
}

installed() {
    [ -x "$bin" ] && cmp -s "$here/package-lock.json" "$npm_dir/package-lock.json" &&
        grep -q "\"version\": *\"$version\"" "$pkg/package.json" 2>/dev/null
}

pinned "$here/package-lock.json" ||
    give_up "scripts/spectral/package-lock.json does not pin @stoplight/spectral-cli $version with integrity $integrity"
installed && exit 0

command -v npm >/dev/null 2>&1 || give_up "npm is missing: run 'make deps' (it installs Debian's npm)"
command -v node >/dev/null 2>&1 || give_up "node is missing: run 'make deps' (Debian's npm brings nodejs)"
echo "spectral: installing @stoplight/spectral-cli@$version into build/npm-spectral"
rm -rf "$npm_dir"
mkdir -p "$npm_dir"
cp "$here/package.json" "$here/package-lock.json" "$npm_dir/"
log=$(mktemp)
# npm ci installs exactly the lock and checks every tarball's integrity
if ! (cd "$npm_dir" && npm ci --no-audit --no-fund --ignore-scripts) >"$log" 2>&1; then
    sed 's/^/    /' "$log" | tail -n 15 >&2
    rm -f "$log"
    rm -rf "$npm_dir"
    give_up "npm ci failed (no network or no registry?)"
fi
rm -f "$log"
installed || { rm -rf "$npm_dir"; give_up "build/npm-spectral does not hold @stoplight/spectral-cli $version after npm ci"; }
"$bin" --version >/dev/null 2>&1 ||
    give_up "spectral $version does not run with node $(node --version) (it needs node ^18.18 or >= 20.17)"
exit 0

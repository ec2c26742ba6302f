#!/bin/sh
# Installs what isorules needs to build and test, from Debian's packages:
# libraries that pkg-config cannot find and tools that are not on PATH.
# Does nothing when everything is present.
set -u
missing=""
need() { missing="$missing $1"; }

command -v pkg-config >/dev/null 2>&1 || need pkg-config
command -v cc >/dev/null 2>&1 || need gcc
command -v make >/dev/null 2>&1 || need make
command -v python3 >/dev/null 2>&1 || need python3
command -v valgrind >/dev/null 2>&1 || need valgrind
command -v npm >/dev/null 2>&1 || need npm
# make bench: GNU time measures peak RSS
[ -x /usr/bin/time ] || need time
if command -v pkg-config >/dev/null 2>&1; then
    pkg-config --exists lua5.4 || need liblua5.4-dev
    pkg-config --exists yaml-0.1 || need libyaml-dev
    pkg-config --exists libutf8proc || need libutf8proc-dev
    pkg-config --exists cmocka || need libcmocka-dev
else
    need "liblua5.4-dev libyaml-dev libutf8proc-dev libcmocka-dev"
fi
# the fuzz harnesses (make fuzz, make fuzz-smoke): clang and its libFuzzer
# runtime, checked by linking a trivial fuzz target
command -v clang >/dev/null 2>&1 || need clang
if command -v clang >/dev/null 2>&1; then
    fz=$(mktemp -d)
    printf '%s\n' '#include <stddef.h>' '#include <stdint.h>' \
        'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);' \
        'int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }' \
        >"$fz/t.c"
    clang -fsanitize=fuzzer -o "$fz/t" "$fz/t.c" >/dev/null 2>&1 || need libclang-rt-14-dev
    rm -rf "$fz"
else
    need libclang-rt-14-dev
fi
[ -z "$missing" ] && exit 0

cmd="apt-get install -y --no-install-recommends$missing"
echo "deps: installing$missing"
if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive $cmd
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive $cmd
else
    echo "deps: missing packages; as root, run:" >&2
    echo "  apt-get update && $cmd" >&2
    exit 1
fi

#!/bin/sh
# The library as an embedder gets it: builds each program of docs/examples
# against an installed copy (PREFIX given), with pkg-config and nothing from
# the source tree, one of them linked statically, and runs them from another
# folder. Also runs the installed isorules away from the sources.
# usage: tests/examples.sh PREFIX     Ends with `examples: N passed, N failed`.
prefix=$1
src=$(cd "$(dirname "$0")/.." && pwd)
. "$src/tests/lib.sh"

export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
cd "$tmp" || exit 2
cflags=$(pkg-config --cflags isorules) && libs=$(pkg-config --libs isorules) &&
    static=$(pkg-config --static --libs isorules)
[ $? -eq 0 ] && ok "pkg-config finds isorules $(pkg-config --modversion isorules)" || bad "pkg-config isorules"

# dynamic link, run with the installed shared library
if cc -o audit-buffer "$src/docs/examples/audit-buffer.c" $cflags $libs -Wl,-rpath,"$prefix/lib" 2>build.log; then
    ok "audit-buffer builds against the install"
    ./audit-buffer >out 2>&1
    [ $? -eq 0 ] && ok "audit-buffer runs" || bad "audit-buffer exit" out
    has "audit-buffer finds QMS001 in the buffer" out "^form.yaml:7:5: error QMS001 \[so-vi-du\] 1.000001.000.00.00.H34: "
    has "audit-buffer finds the misspelt key" out "^form.yaml:10:5: info FMT003 \[so-vi-du\] procedures\[1\].proces: "
    has "audit-buffer's owned list" out "^4 findings (3 errors, 0 warnings, 1 infos), 4 kept$"
    if ldd ./audit-buffer | grep -q "$prefix/lib/libisorules.so.0"; then ok "linked to the installed libisorules.so.0"; else bad "not linked to the installed shared library"; fi
else
    bad "audit-buffer build" build.log
fi
if objdump -T "$prefix/lib/libisorules.so" | grep -q ' ir_'; then bad "internal symbols exported"; else ok "only isorules_* exported"; fi
objdump -p "$prefix/lib/libisorules.so" | grep -q 'SONAME *libisorules.so.0' && ok "SONAME carries the major version" || bad "SONAME"

# static link: everything from pkg-config --static
if cc -static -o audit-threads "$src/docs/examples/audit-threads.c" $cflags $static 2>build.log; then
    ok "audit-threads links statically with pkg-config --static alone"
    if ldd ./audit-threads 2>&1 | grep -q "not a dynamic executable"; then ok "audit-threads is a static executable"; else bad "audit-threads is not static"; fi
    mkdir -p country
    cp "$src/samples/kien-giang-2021/legal.yaml" country/
    mkdir -p country/kien-giang country/an-giang
    cp "$src/samples/kien-giang-2021/"so-*.yaml country/kien-giang/
    cp "$src/samples/kien-giang-2021/skhcn.yaml" country/an-giang/
    ./audit-threads country 2 >out 2>&1
    [ $? -eq 0 ] && ok "audit-threads runs" || bad "audit-threads exit" out
    has "audit-threads: a province per engine" out "^country/an-giang: 1 agencies"
    has "audit-threads: in folder order" out "^country/kien-giang: 4 agencies"
    has "audit-threads: totals" out "^2 provinces, 5 agencies$"
else
    bad "audit-threads build" build.log
fi

# the installed command, away from the sources
"$prefix/bin/isorules" audit --as-of 2021-12-31 --no-progress "$src/samples" >out 2>&1
[ $? -eq 1 ] && ok "installed isorules audits with its built-in rules" || bad "installed isorules" out
has "installed isorules: the whole pack" out "(20 rules, as of 2021-12-31)$"
[ -f "$prefix/share/isorules/rules/qms.lua" ] && ok "rule files installed" || bad "rule files not installed"
[ -f "$prefix/share/man/man1/isorules.1" ] && ok "man page installed" || bad "man page not installed"
[ -f "$prefix/include/isorules.h" ] && ok "header installed" || bad "header not installed"

finish examples

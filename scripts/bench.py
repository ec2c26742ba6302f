#!/usr/bin/env python3
"""make bench: measures isorules against the floor (libyaml's raw event
parse of the same files, scripts/yaml-floor.c) side by side, and against
Spectral with a ruleset equivalent to QMS001 (scripts/spectral/), and prints
one table of medians, ratios and peak memory.

Runs alternate (floor, A, floor, B, ...; isorules, Spectral, ...) so that a
machine whose speed drifts affects both sides of each ratio alike; each ratio
is the median of the ratios of neighbouring runs. Peak RSS comes from GNU
time, wall time is measured around it; the RSS shown is the median of the
runs' peaks: identical runs differ by up to 150 KiB in the pages of the
shared libraries they have mapped in (the kernel maps pages around a fault
from the page cache, whatever other processes left there), a tenth of what
1,000 agencies add, so the maximum would measure the machine.

usage: scripts/bench.py BUILD_DIR [--runs N] [--spectral-runs N] [--no-spectral]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in scripts/
sys.path.insert(0, os.path.join(HERE, "spectral"))
import compare  # noqa: E402  (scripts/spectral/compare.py)


def dataset(build, agencies, procedures=150):
    path = os.path.join(build, "bench", "p%d" % agencies)
    if not os.path.isdir(path):
        subprocess.run([sys.executable, os.path.join(HERE, "gen-province.py"), path,
                        "--agencies", str(agencies), "--procedures", str(procedures)], check=True)
    return path


def timed(cmd, check=False):
    """(wall seconds, peak RSS in KiB) of one run of cmd; with check, fails
    unless it exits 0 or 1 (nothing found, something found).

    The peak RSS comes from GNU time: a child that Python forks would count
    Python's own memory in its ru_maxrss. The wall time is taken around it, to
    the microsecond (GNU time prints hundredths, a tenth of an isorules run on
    200 agencies)."""
    with tempfile.NamedTemporaryFile("r") as out:
        t0 = time.perf_counter()
        subprocess.run(["/usr/bin/time", "-o", out.name, "-f", "%x %M"] + cmd,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        code, rss = out.read().split()[-2:]
    if check and code not in ("0", "1"):
        sys.exit("bench: %s exited with %s" % (" ".join(cmd[:3]), code))
    return wall, int(rss)


def alternate(a, b, runs):
    """Runs a then b, runs times; (median wall of a, of b, median of the
    ratios b / a of neighbouring runs, median peak RSS of a, of b)."""
    wa, wb, ratios, ra, rb = [], [], [], [], []
    for _ in range(runs):
        w1, m1 = timed(a)
        w2, m2 = timed(b)
        wa.append(w1)
        wb.append(w2)
        ratios.append(w2 / w1 if w1 else float("nan"))
        ra.append(m1)
        rb.append(m2)
    return (statistics.median(wa), statistics.median(wb), statistics.median(ratios),
            statistics.median(ra), statistics.median(rb))


def spectral_rows(a, iso, audit):
    """The rows against Spectral on 200 agencies, and the lines to print
    under the table; (rows, notes, findings identical)."""
    spectral = a.spectral
    if not os.access(spectral, os.X_OK):
        return [], ["not measured: Spectral, not installed (sh scripts/spectral/install.sh)"], True
    d200 = dataset(a.build, 200)
    files = compare.yaml_files([d200])
    edge = os.path.join(HERE, "spectral", "edge-cases.yaml")
    notes = []
    same = True
    for paths in ([d200], [edge]):
        r = subprocess.run([sys.executable, os.path.join(HERE, "spectral", "compare.py"),
                            iso, spectral] + paths, stdout=subprocess.PIPE, text=True)
        out = r.stdout.strip().splitlines()
        same = same and r.returncode == 0
        notes += out if r.returncode else out[-1:]
    spec = compare.spectral_cmd(spectral, files)
    cases = [
        ("Spectral vs isorules --only QMS001", audit + ["-j", "1", "--only", "QMS001", d200]),
        ("Spectral vs isorules full pack", audit + ["-j", "1", d200]),
        # what a user gets without -j: a worker per core (Spectral has one thread)
        ("Spectral vs --only QMS001, -j 2", audit + ["-j", "2", "--only", "QMS001", d200]),
    ]
    startup = compare.spectral_cmd(spectral, [edge])
    for cmd in [spec, startup] + [c for _, c in cases]:  # warm the caches, check that it runs
        timed(cmd, check=True)
    rows = []
    for name, cmd in cases:
        w, s, r, mi, ms = alternate(cmd, spec, a.spectral_runs)
        rows.append((name, s, w, r, ms, mi))
    start = statistics.median(timed(startup)[0] for _ in range(a.spectral_runs))
    notes.append("against Spectral %s: 200 agencies, isorules -j 1 unless said; Spectral on one small file "
                 "(start-up, ruleset): %.2f s" % (spectral_version(spectral), start))
    return rows, notes, same


def spectral_version(spectral):
    r = subprocess.run([spectral, "--version"], stdout=subprocess.PIPE, text=True)
    return r.stdout.strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--runs", type=int, default=5, help="runs of each case against the floor")
    ap.add_argument("--spectral-runs", type=int, default=3, help="runs of each case against Spectral")
    ap.add_argument("--spectral", help="the spectral binary (default: "
                    "BUILD_DIR/npm-spectral/node_modules/.bin/spectral)")
    ap.add_argument("--no-spectral", action="store_true", help="leave out the rows against Spectral")
    a = ap.parse_args()
    if not a.spectral:
        a.spectral = os.path.join(a.build, "npm-spectral", "node_modules", ".bin", "spectral")
    floor = os.path.join(a.build, "yaml-floor")
    iso = os.path.join(a.build, "isorules")
    d1000 = dataset(a.build, 1000)
    d4000 = dataset(a.build, 4000)
    audit = [iso, "audit", "-q", "--as-of", "2021-12-31", "--format", "json", "-o", "/dev/null"]
    cases = [
        ("isorules, full pack, -j 1", audit + ["-j", "1", d1000], d1000),
        ("isorules, full pack, -j 2", audit + ["-j", "2", d1000], d1000),
        ("isorules, --only QMS001, -j 1", audit + ["-j", "1", "--only", "QMS001", d1000], d1000),
        ("isorules, full pack, 4000 agencies", audit + ["-j", "1", d4000], d4000),
    ]
    for _, cmd, _ in cases:  # warm the page cache and check that it runs
        timed(cmd, check=True)
    rows = []
    for name, cmd, data in cases:
        f, w, r, _, m = alternate([floor, data], cmd, a.runs)
        rows.append((name, f, w, r, m))
    srows, notes, same = ([], ["not measured: Spectral (--no-spectral)"], True) \
        if a.no_spectral else spectral_rows(a, iso, audit)
    print("%-36s %10s %10s %12s %10s" % ("case", "floor s", "isorules s", "ratio", "peak RSS"))
    for name, f, w, r, m in rows:
        print("%-36s %10.3f %10.3f %11.2fx %8.1f MiB" % (name, f, w, r, m / 1024))
    if srows:
        print("%-36s %10s %10s %12s %10s" % ("", "Spectral s", "isorules s", "speedup",
                                              "peak RSS, Spectral / isorules"))
    for name, s, w, r, ms, mi in srows:
        print("%-36s %10.3f %10.3f %11.1fx %8.1f / %.1f MiB" % (name, s, w, r, ms / 1024, mi / 1024))
    rss1000 = rows[0][4]
    rss4000 = rows[3][4]
    print("peak RSS 4000 / 1000 agencies: %.2fx (goal: at most 1.25x, under 64 MiB)" % (rss4000 / rss1000))
    print("goals: full pack -j 1 at most 1.6x the floor; -j 2 at most 0.9x the one-thread floor")
    for n in notes:
        print(n)
    if srows:
        print("goals: against Spectral, 25x faster with --only QMS001, 15x with the whole pack")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())

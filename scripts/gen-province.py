#!/usr/bin/env python3
"""Writes a synthetic province (or country) in the isorules format, for
benchmarks and scale tests: a legal register, a catalog, a Sở KH&CN and
N agencies per province, one file per agency, with a few lapses planted at a
fixed rate so that the rules have something to find.

usage: scripts/gen-province.py OUT_DIR [--agencies N] [--procedures P]
                               [--provinces K] [--seed S]

The output is deterministic for a given seed.
"""
import argparse
import os
import random

LEGAL = """kind: legal
documents:
  - id: 19/2014/QĐ-TTg
    issued: 2014-03-05
  - id: 26/2014/TT-BKHCN
    issued: 2014-10-10
  - id: 101/QĐ-BKHCN
    issued: 2019-01-21
  - id: 116/2015/TT-BTC
    issued: 2015-08-11
  - id: 09/2015/QĐ-TTg
    issued: 2015-03-25
    expired: 2018-06-21
    superseded_by: 61/2018/NĐ-CP
  - id: 61/2018/NĐ-CP
    issued: 2018-04-23
"""

LEVELS = ["department", "branch", "district", "commune", "commune", "commune"]


def code(i):
    return "%d.%06d.000.00.00.H%02d" % (1 + i % 2, 1000 + i, 34)


def agency(rng, prov, n, procedures):
    aid = "%s-a%05d" % (prov, n)
    level = LEVELS[n % len(LEVELS)]
    parent = "%s-a%05d" % (prov, n - n % 6 + 2) if level == "commune" else "ubnd-" + prov
    out = [
        "kind: agency",
        "id: %s" % aid,
        "name: Cơ quan số %d tỉnh %s" % (n, prov),
        "level: %s" % level,
        "parent: %s" % parent,
        "province: %s" % prov,
        "qms:",
        "  standard: TCVN ISO 9001:2015",
        "  applied_since: 2018-0%d-15" % (1 + n % 9),
        "  announcements:",
        "    - date: 2018-10-01",
        "      decision: %d/QĐ-%s" % (100 + n, aid.upper()),
        "      notified: 5/10/2018",
        "  internal_audits:",
        "    - date: 2020-11-%02d" % (1 + n % 28),
        "    - date: 2021-11-%02d" % (1 + n % 28),
        "  management_reviews:",
        "    - date: 2021-12-%02d" % (1 + n % 10),
        "  reports:",
    ]
    for year in (2018, 2019, 2020, 2021):
        late = rng.random() < 0.02
        out += ["    - year: %d" % year,
                "      submitted: %d/12/%d" % (20 if late else 10, year),
                "      to: %s" % (parent if level == "commune" else prov + "-skhcn")]
    out.append("procedures:")
    nproc = max(1, procedures // 10)
    for p in range(procedures):
        out.append("  - code: %s" % code(n * 7 + p))
        out.append("    name: Thủ tục hành chính số %d" % p)
        r = rng.random()
        if r < 0.01:
            pass  # neither process nor justification
        elif r < 0.05:
            out += ["    justification:", "      document: %d/BC" % p,
                    "      date: 2021-02-01", "      reason: TTHC chưa phát sinh hồ sơ"]
        else:
            out.append("    process: QT-%03d" % (p % nproc))
    out.append("processes:")
    for q in range(nproc):
        out += ["  - id: QT-%03d" % q, "    title: Quy trình %d" % q,
                "    issued: 2021-01-10", "    revision: 2",
                "    legal_basis: [19/2014/QĐ-TTg, %s]" %
                ("09/2015/QĐ-TTg" if rng.random() < 0.01 else "26/2014/TT-BKHCN")]
    return aid, "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--agencies", type=int, default=190, help="agencies per province")
    ap.add_argument("--procedures", type=int, default=150, help="procedures per agency")
    ap.add_argument("--provinces", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "legal.yaml"), "w") as f:
        f.write(LEGAL)
    for k in range(a.provinces):
        prov = "p%02d" % k
        d = os.path.join(a.out, prov)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "skhcn.yaml"), "w") as f:
            f.write("kind: agency\nid: %s-skhcn\nname: Sở KH&CN %s\nlevel: department\n"
                    "role: dost\nprovince: %s\nparent: ubnd-%s\n" % (prov, prov, prov, prov))
        for n in range(a.agencies):
            aid, text = agency(rng, prov, n, a.procedures)
            with open(os.path.join(d, aid + ".yaml"), "w") as f:
                f.write(text)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Checks that Spectral with scripts/spectral/qms001.yaml finds what
`isorules audit --only QMS001` finds: the same findings as a multiset of
(file, line, column). isorules reports a procedure at its mapping's start,
1-based; Spectral's range starts are 0-based, and are moved by one.

usage: scripts/spectral/compare.py ISORULES SPECTRAL PATH...

ISORULES is the isorules binary, SPECTRAL the spectral one (sh
scripts/spectral/install.sh puts it in build/npm-spectral/node_modules/.bin);
PATH are files and folders, read as isorules reads them (every *.yaml and *.yml
below a folder, hidden ones skipped), and given to Spectral one by one.
Prints the counts, and each difference; exits 0 when the findings are
identical, 1 when not, 2 when a tool fails. Spectral reads one YAML document a
file: a file with several is a Spectral `parser` diagnostic, which counts as a
difference (the generator, scripts/gen-province.py, writes one a file).
"""
import collections
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
RULESET = os.path.join(HERE, "qms001.yaml")


def yaml_files(paths):
    """The files isorules audits for these paths, in its order."""
    out = []
    for p in paths:
        if not os.path.isdir(p):
            out.append(p)
            continue
        for d, dirs, files in os.walk(p, followlinks=True):
            dirs[:] = [x for x in dirs if not x.startswith(".")]
            out += [os.path.join(d, f) for f in files
                    if not f.startswith(".") and f.endswith((".yaml", ".yml"))
                    and os.path.isfile(os.path.join(d, f))]
    return sorted(out, key=os.fsencode)


def isorules_cmd(isorules, paths, only="QMS001", out="/dev/null", jobs=1):
    cmd = [isorules, "audit", "-q", "--as-of", "2021-12-31", "--format", "json",
           "-o", out, "-j", str(jobs)]
    return cmd + (["--only", only] if only else []) + list(paths)


def spectral_cmd(spectral, files, out="/dev/null"):
    return [spectral, "lint", "-q", "--ruleset", RULESET, "--format", "json",
            "-o", out] + list(files)


def run_json(cmd, what, ok=(0, 1)):
    """Runs cmd (exit 0 or 1: nothing or something found, or another in ok)
    and reads the JSON it writes to the file its `-o` names."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out.json")  # isorules -o replaces the file
        cmd = [out if a == "/dev/null" else a for a in cmd]
        r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode not in ok or not os.path.exists(out):
            sys.stderr.write(r.stdout + r.stderr)
            print("compare: %s failed (exit %d)" % (what, r.returncode))
            sys.exit(2)
        with open(out, encoding="utf-8") as f:
            return json.load(f)


def key(path):
    return os.path.realpath(path)


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__.strip())
    isorules, spectral, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
    files = yaml_files(paths)

    # exit 2: an input isorules could not read, listed under "errors"
    report = run_json(isorules_cmd(isorules, paths), "isorules", ok=(0, 1, 2))
    if report.get("errors"):
        for e in report["errors"]:
            print("compare: isorules: %s" % json.dumps(e, ensure_ascii=False))
    iso = collections.Counter((key(f["file"]), f["line"], f["column"])
                              for f in report["findings"] if f["rule"] == "QMS001")

    spec = collections.Counter()
    other = []
    for d in run_json(spectral_cmd(spectral, files), "spectral"):
        start = d["range"]["start"]
        at = (key(d["source"]), start["line"] + 1, start["character"] + 1)
        if d["code"] == "QMS001":
            spec[at] += 1
        else:  # the file was not read as isorules reads it
            other.append("%s:%d:%d: spectral %s: %s" % (at + (d["code"], d["message"])))

    only_iso = iso - spec
    only_spec = spec - iso
    for what, diff in (("isorules only", only_iso), ("Spectral only", only_spec)):
        for (f, line, col), n in sorted(diff.items())[:10]:
            print("compare: %s: %s:%d:%d%s" % (what, f, line, col, " (x%d)" % n if n > 1 else ""))
        if len(diff) > 10:
            print("compare: %s: %d more" % (what, len(diff) - 10))
    for o in other[:10]:
        print("compare: " + o)
    same = not only_iso and not only_spec and not other and not report.get("errors")
    print("compare: QMS001 findings in %d files: isorules %d, Spectral %d; %s" % (
        len(files), sum(iso.values()), sum(spec.values()),
        "identical (file, line, column)" if same else "NOT identical"))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Check a Promela model exhaustively with SPIN: spin -a, compile pan, run it.

  run_spin.py SPIN CC MODEL [-D NAME] --expect pass|fail

pass: SPIN must finish the full search with "errors: 0" (and not stop at the depth
limit). fail: the variant is deliberately broken, SPIN must report at least one
assertion violation - so the check is shown to bite. Exit 0 when the expectation
holds, 1 otherwise, 77 never (a missing tool is a failure: ./cairn installs spin)."""
import argparse
import os
import re
import subprocess
import sys
import tempfile


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("spin")
    ap.add_argument("cc")
    ap.add_argument("model")
    ap.add_argument("-D", dest="define", default=None)
    ap.add_argument("--expect", choices=("pass", "fail"), required=True)
    ap.add_argument("--depth", default="400000")
    a = ap.parse_args()
    label = os.path.basename(a.model) + (" -D" + a.define if a.define else "")
    with tempfile.TemporaryDirectory(prefix="spin_") as d:
        cmd = [a.spin] + (["-D" + a.define] if a.define else []) + ["-a", os.path.abspath(a.model)]
        p = subprocess.run(cmd, cwd=d, capture_output=True, text=True)
        if p.returncode != 0 or not os.path.exists(os.path.join(d, "pan.c")):
            print("FAIL %s: spin -a: %s%s" % (label, p.stdout, p.stderr))
            return 1
        # pan.c is generated code: its own warnings are not ours (-w).
        p = subprocess.run([a.cc, "-O2", "-DSAFETY", "-w", "-o", "pan", "pan.c"], cwd=d,
                           capture_output=True, text=True)
        if p.returncode != 0:
            print("FAIL %s: compiling pan: %s" % (label, p.stderr))
            return 1
        p = subprocess.run(["./pan", "-m" + a.depth], cwd=d, capture_output=True, text=True)
        out = p.stdout + p.stderr
    m = re.search(r"errors: (\d+)", out)
    if not m:
        print("FAIL %s: no verdict from pan:\n%s" % (label, out))
        return 1
    errors = int(m.group(1))
    states = re.search(r"(\d+) states, stored", out)
    summary = "errors: %d, %s states" % (errors, states.group(1) if states else "?")
    if a.expect == "pass":
        if errors != 0 or "max search depth too small" in out:
            print("FAIL %s: %s\n%s" % (label, summary, out))
            return 1
        print("ok %s: exhaustive, %s" % (label, summary))
        return 0
    viol = re.search(r"assertion violated .*", out)
    if errors == 0 or not viol:
        print("FAIL %s: the broken variant passed (%s): the check does not bite" % (label, summary))
        return 1
    print("ok %s: broken variant caught: %s" % (label, viol.group(0)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

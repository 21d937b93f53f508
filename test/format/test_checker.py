#!/usr/bin/env python3
"""The format checker itself (scripts/check-format.sh): in a scratch tree with
the project's .clang-format, a formatted file passes and an unformatted one
fails naming the file. Proves the `format` test can fail."""
import os
import shutil
import subprocess
import sys
import tempfile

GOOD = "/* ok */\nstatic int add(int a, int b)\n{\n\tint c = a + b;\n\treturn c;\n}\n"
BAD = "static int add(int a,int b){ return a+b; }\n"


def run(root, script, cf):
    """Run the checker on root; (status, output)."""
    p = subprocess.run(["sh", script, root, cf], capture_output=True, text=True)
    return p.returncode, p.stdout + p.stderr


def main():
    src, cf = sys.argv[1], sys.argv[2]
    script = os.path.join(src, "scripts", "check-format.sh")
    with tempfile.TemporaryDirectory() as d:
        shutil.copy(os.path.join(src, ".clang-format"), d)
        with open(os.path.join(d, "good.c"), "w") as f:
            f.write(GOOD)
        st, out = run(d, script, cf)
        if st != 0:
            print(f"FAIL: a formatted file was refused: {out}")
            return 1
        with open(os.path.join(d, "bad.c"), "w") as f:
            f.write(BAD)
        st, out = run(d, script, cf)
        if st != 1 or "bad.c is not formatted" not in out or "good.c" in out:
            print(f"FAIL: an unformatted file was not refused (status {st}): {out}")
            return 1
    print("format checker: refuses unformatted files, accepts formatted ones")
    return 0


if __name__ == "__main__":
    sys.exit(main())

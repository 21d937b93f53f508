#!/usr/bin/env python3
"""Seed inputs for fuzz_statefs_key: [component id][selector][key bytes]. A
selector with bit 7 clear starts the key with table prefix (selector % count),
so the seeds mix keys under real prefixes, list prefixes, and keys spelled in
every way statefs.h rejects (dot segments, "//", NUL, controls, bad UTF-8).

  gen_key_corpus.py OUTDIR STAMP
"""
import os
import sys

NOPREFIX = 0x80
SEEDS = [
    (1, 0, b"counter"),
    (2, 1, b"dev0"),
    (3, 2, b"slot/a"),
    (4, 3, b"history"),
    (5, 4, b"x"),
    (1, 0, b""),  # the list prefix itself
    (2, 1, b"a/"),  # a list prefix below it
    (3, 2, b"../keystore/dev0"),
    (3, 2, b"./x"),
    (3, 2, b"a//b"),
    (3, 2, b"a/.."),
    (2, 1, b"a\x00b"),
    (2, 1, b"a\nSELFTEST: ok"),
    (2, 1, b"caf\xc3\xa9"),
    (2, 1, b"\xf0\x9f\x98\x80"),
    (2, 1, b"\xc0\xaf"),
    (2, 1, b"\xed\xa0\x80"),
    (2, 1, b"\xc2\x85"),
    (0, NOPREFIX, b"/state/"),
    (0, NOPREFIX, b"/state/a"),
    (1, NOPREFIX, b"/state/keystorex/k"),
    (1, NOPREFIX, b"/state/keystore"),
    (1, NOPREFIX, b"/"),
    (1, NOPREFIX, b"//state/keystore/k"),
    (9, NOPREFIX, b"/state/boot/x"),
    (255, 0, b"k" * 250),
]


def main():
    out, stamp = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for i, (comp, sel, key) in enumerate(SEEDS):
        with open(os.path.join(out, "seed%02d" % i), "wb") as f:
            f.write(bytes([comp, sel]) + key)
    with open(stamp, "w") as f:
        f.write("%d seeds\n" % len(SEEDS))


if __name__ == "__main__":
    main()

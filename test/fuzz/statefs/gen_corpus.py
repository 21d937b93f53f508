#!/usr/bin/env python3
"""Generate seed images for fuzz_mount with mkstatefs: a few small valid stores
(512 and 4096-byte sectors, several keys, a multi-sector value), one with a torn
tail. Usage: gen_corpus.py MKSTATEFS CORPUS_DIR STAMP"""
import os
import subprocess
import sys

mk, corpus, stamp = sys.argv[1:4]
os.makedirs(corpus, exist_ok=True)
seeds = [
    ("empty.img", ["5K"], []),
    ("three.img", ["6K"], ["/state/a=1", "/state/b/c=hello", "/state/\u00e9t\u00e9=x"]),
    ("span.img", ["8K"], ["/state/big=" + "z" * 1500, "/state/s=1"]),
    ("s4096.img", ["-s", "4096", "40K"], ["/state/k=v", "/state/k2=" + "q" * 5000]),
]
for name, size, adds in seeds:
    args = [mk]
    if size[0] == "-s":
        args += size[:2]
        size = size[2:]
    for a in adds:
        args += ["--add", a]
    path = os.path.join(corpus, name)
    subprocess.run(args + [path] + size, check=True, capture_output=True)
data = bytearray(open(os.path.join(corpus, "three.img"), "rb").read())
data[data.find(b"hello")] ^= 1
open(os.path.join(corpus, "torn.img"), "wb").write(data)
open(stamp, "w").write("ok\n")

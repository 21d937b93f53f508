#!/usr/bin/env python3
"""Generate seed images for fuzz_mount with mkstatefs: a few small valid stores
(512 and 4096-byte sectors, several keys, a multi-sector value), one with a torn
tail, stores with an index checkpoint (mkstatefs --ckpt-interval: the unmount
writes one) and one whose checkpoint is damaged.
Usage: gen_corpus.py MKSTATEFS CORPUS_DIR STAMP"""
import os
import subprocess
import sys

mk, corpus, stamp = sys.argv[1:4]
os.makedirs(corpus, exist_ok=True)
many = [f"/state/ck/{i:02d}=v{i}" for i in range(30)]
seeds = [
    ("empty.img", [], "5K", []),
    ("three.img", [], "6K", ["/state/a=1", "/state/b/c=hello", "/state/\u00e9t\u00e9=x"]),
    ("span.img", [], "8K", ["/state/big=" + "z" * 1500, "/state/s=1"]),
    ("s4096.img", ["-s", "4096"], "40K", ["/state/k=v", "/state/k2=" + "q" * 5000]),
    ("ckpt.img", ["--ckpt-interval", "1K"], "32K", many),
    ("ckpt4096.img", ["-s", "4096", "--ckpt-interval", "1K"], "48K", many[:20]),
]
for name, opts, size, adds in seeds:
    args = [mk] + opts
    for a in adds:
        args += ["--add", a]
    path = os.path.join(corpus, name)
    subprocess.run(args + [path, size], check=True, capture_output=True)
data = bytearray(open(os.path.join(corpus, "three.img"), "rb").read())
data[data.find(b"hello")] ^= 1
open(os.path.join(corpus, "torn.img"), "wb").write(data)
data = bytearray(open(os.path.join(corpus, "ckpt.img"), "rb").read())
at = data.find(b"SFR1\x03")  # a checkpoint chunk: record magic, type CKPT
if at < 0:
    sys.exit("gen_corpus: ckpt.img holds no checkpoint record")
data[at + 32 + 30] ^= 4  # inside its payload: the CRC fails, the mount falls back
open(os.path.join(corpus, "ckpt-damaged.img"), "wb").write(data)
open(stamp, "w").write("ok\n")

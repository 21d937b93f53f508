#!/usr/bin/env python3
"""statefs host tools test: mkstatefs, statefs-fsck and statefs-dump on real image
files: exit codes, output, corruption report and repair, malformed images.
Usage: test_tools.py MKSTATEFS FSCK DUMP WORKDIR"""
import os
import random
import re
import subprocess
import sys

MK, FSCK, DUMP, WORK = sys.argv[1:5]
failures = []


def run(*args):
    """Run a tool; a negative return code (signal, sanitizer abort) always fails."""
    p = subprocess.run(list(args), capture_output=True)
    if p.returncode < 0 or b"Sanitizer" in p.stderr:
        failures.append(f"{args}: crashed ({p.returncode}): {p.stderr[-300:]!r}")
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def expect(cond, what):
    if not cond:
        failures.append(what)


def path(name):
    return os.path.join(WORK, name)


os.makedirs(WORK, exist_ok=True)
img = path("tools.img")
rc, out, _ = run(MK, "--add", "/state/a=hello", "--add", "/state/b/c=world!", img, "64K")
expect(rc == 0, f"mkstatefs rc {rc}")
rc, _, err = run(MK, img)
expect(rc == 2 and "usage" in err, "mkstatefs without size must be a usage error")
rc, _, err = run(MK, "-s", "1000", img, "64K")
expect(rc == 2, "bad sector size must be a usage error")
rc, _, err = run(MK, "--add", "/state//bad=x", path("bad.img"), "64K")
expect(rc == 2 and "cannot add" in err, "invalid key must be rejected")
rc, _, err = run(MK, path("tiny.img"), "2K")
expect(rc == 2 and "too small" in err, "tiny image must be rejected")

rc, out, _ = run(DUMP, img)
expect(rc == 0 and out == "5\t/state/a\n6\t/state/b/c\n", f"dump listing: {rc} {out!r}")
rc, out, _ = run(DUMP, "--get", "/state/b/c", img)
expect(rc == 0 and out == "world!", f"dump --get: {rc} {out!r}")
rc, _, err = run(DUMP, "--get", "/state/missing", img)
expect(rc == 1 and "not found" in err, "dump --get of a missing key")
rc, _, _ = run(DUMP, path("nonexistent.img"))
expect(rc == 2, "dump of a missing file is an I/O error")

rc, out, _ = run(FSCK, img)
expect(rc == 0 and "clean: 2 keys" in out, f"fsck clean: {rc} {out!r}")

data = bytearray(open(img, "rb").read())
data[data.find(b"world!")] ^= 0x01
torn = path("torn.img")
open(torn, "wb").write(data)
rc, out, _ = run(FSCK, torn)
expect(rc == 1 and "torn tail" in out and "offset 45" in out and "bad-crc" in out,
       f"fsck torn: {rc} {out!r}")
rc, out, _ = run(FSCK, "--repair", torn)
expect(rc == 0 and "repaired" in out, f"fsck --repair: {rc} {out!r}")
rc, out, _ = run(FSCK, torn)
expect(rc == 0 and "clean: 1 keys" in out, f"fsck after repair: {rc} {out!r}")
rc, out, _ = run(DUMP, torn)
expect(rc == 0 and out == "5\t/state/a\n", f"dump after repair: {out!r}")

sb = bytearray(open(img, "rb").read())
sb[40] ^= 0xFF
sb[512 + 40] ^= 0xFF
open(path("nosb.img"), "wb").write(sb)
rc, _, err = run(FSCK, path("nosb.img"))
expect(rc == 1 and "no valid superblock" in err, f"fsck both superblocks bad: {rc} {err!r}")

big = path("big4k.img")
rc, _, _ = run(MK, "-s", "4096", "--add", "/state/x=" + "y" * 9000, big, "1M")
expect(rc == 0, "mkstatefs 4096")
rc, out, _ = run(FSCK, big)
expect(rc == 0 and "clean: 1 keys" in out, f"fsck 4096 autodetect: {out!r}")
rc, out, _ = run(DUMP, "--get", "/state/x", big)
expect(rc == 0 and out == "y" * 9000, "dump 4096 value")

# issue 13 finding 11: every tool refuses unknown options and missing values
for args in ([MK, "--bogus", img, "64K"], [MK, "-s"], [MK, img, "64K", "--add"],
             [MK, "--add", "noequals", img, "64K"], [MK, "-x", img, "64K"],
             [FSCK, "--bogus", img], [FSCK, "-s"], [FSCK, "-s", img], [FSCK, img, img],
             [FSCK, "--repair", "--roll-forward", img], [FSCK, "--repair", "--discard-damaged", img],
             [DUMP, "--get"], [DUMP, "--wat", img], [DUMP, "-s", "7", img], [DUMP, img, img]):
    before = open(img, "rb").read()
    rc, _, err = run(*args)
    expect(rc == 2 and "usage" in err, f"{args[0].split('/')[-1]} {args[1:]}: rc {rc} {err[:60]!r}")
    expect(open(img, "rb").read() == before, f"{args[1:]}: a refused invocation changed the image")

# recovery classes (issue 13 findings 3 and 4): a rolled-back and a damaged store
# make fsck exit 1; --repair refuses them and writes nothing; only the matching
# explicit action changes them
rb = path("rolled.img")
rc, _, _ = run(MK, "--add", "/state/a=one", "--add", "/state/b=two", rb, "64K")
blob = bytearray(open(rb, "rb").read())
gens = [int.from_bytes(blob[c * 512 + 24:c * 512 + 32], "little") for c in (0, 1)]
blob[(0 if gens[0] > gens[1] else 1) * 512 + 40] ^= 0x01  # lose the newest superblock
open(rb, "wb").write(blob)
rc, out, _ = run(FSCK, rb)
expect(rc == 1 and "class: rolled-back" in out and "rolled back" in out, f"fsck rolled back: {rc} {out!r}")
rc, _, err = run(FSCK, "--repair", rb)
expect(rc == 1 and "refused" in err and open(rb, "rb").read() == bytes(blob),
       f"--repair must refuse a rolled-back store and write nothing: {rc} {err!r}")
rc, _, err = run(FSCK, "--discard-damaged", rb)
expect(rc == 1 and "refused" in err and open(rb, "rb").read() == bytes(blob), "--discard-damaged on rolled back")
rc, out, _ = run(FSCK, "--roll-forward", rb)
expect(rc == 0 and "--roll-forward: done" in out, f"--roll-forward: {rc} {out!r}")
rc, out, _ = run(FSCK, rb)
expect(rc == 0 and "clean: 2 keys" in out, f"fsck after roll-forward: {rc} {out!r}")
rc, out, _ = run(DUMP, "--get", "/state/b", rb)
expect(rc == 0 and out == "two", "value after roll-forward")

dm = path("damaged.img")
rc, _, _ = run(MK, "--add", "/state/big1=" + "1" * 40000, "--add", "/state/big2=" + "2" * 40000,
               "--add", "/state/big3=" + "3" * 40000, dm, "512K")
blob = bytearray(open(dm, "rb").read())
blob[blob.find(b"1" * 64) + 100] ^= 0x01  # synced: records after it follow a flush
open(dm, "wb").write(blob)
rc, out, _ = run(FSCK, dm)
expect(rc == 1 and "class: damaged" in out and "damaged" in out, f"fsck damaged: {rc} {out!r}")
rc, _, err = run(FSCK, "--repair", dm)
expect(rc == 1 and "refused" in err and open(dm, "rb").read() == bytes(blob),
       f"--repair must refuse a damaged store and write nothing: {rc} {err!r}")
rc, _, err = run(FSCK, "--roll-forward", dm)
expect(rc == 1 and open(dm, "rb").read() == bytes(blob), "--roll-forward on damaged")
rc, out, _ = run(FSCK, "--discard-damaged", dm)
expect(rc == 0, f"--discard-damaged: {rc} {out!r}")
rc, out, _ = run(FSCK, dm)
expect(rc == 0 and "clean: 0 keys" in out, f"fsck after discard: {rc} {out!r}")

# index checkpoints (issue 18): mkstatefs --ckpt-interval makes the unmount write
# one; fsck reports it and dump reads through it; a damaged checkpoint makes fsck
# exit 1 and say so, while the mount falls back and dump still serves every value
ck = path("ckpt.img")
adds = []
for i in range(120):
    adds += ["--add", f"/state/ck/{i:03d}=value-{i}"]
rc, _, err = run(MK, "--ckpt-interval", "4K", *adds, ck, "256K")
expect(rc == 0, f"mkstatefs --ckpt-interval: {rc} {err!r}")
rc, _, err = run(MK, "--ckpt-interval", "0", path("bad.img"), "64K")
expect(rc == 2 and "usage" in err, f"mkstatefs --ckpt-interval 0: {rc} {err!r}")
rc, out, _ = run(FSCK, ck)
m = re.search(r"checkpoint: newest at offset (\d+) \((\d+) keys\)", out)
expect(rc == 0 and m and m.group(2) == "120" and "clean: 120 keys" in out, f"fsck checkpoint: {rc} {out!r}")
rc, out, _ = run(DUMP, "--get", "/state/ck/077", ck)
expect(rc == 0 and out == "value-77", "dump through a checkpoint")
if m:
    rb_ = re.search(r"active region ([AB]), region size (\d+)", run(FSCK, ck)[1])
    start = 2 * 512 + (int(rb_.group(2)) if rb_.group(1) == "B" else 0)
    blob = bytearray(open(ck, "rb").read())
    blob[start + int(m.group(1)) + 32 + 40] ^= 0x01  # an entry of the checkpoint's payload
    open(ck, "wb").write(blob)
    rc, out, _ = run(FSCK, ck)
    expect(rc == 1 and "checkpoint: full-replay; damaged: newest" in out and "checkpoint damaged" in out,
           f"fsck damaged checkpoint: {rc} {out!r}")
    rc, out, _ = run(DUMP, ck)
    expect(rc == 0 and len(out.splitlines()) == 120 and "9\t/state/ck/119" in out,
           f"dump after a damaged checkpoint: {rc} {out[:200]!r}")
    rc, out, _ = run(DUMP, "--get", "/state/ck/119", ck)
    expect(rc == 0 and out == "value-119", "value after a damaged checkpoint")

rnd = random.Random(1)
for i in range(40):  # malformed images: never crash, exit 1 or 2
    blob = bytearray(sb if i % 2 else data)
    for _ in range(rnd.randint(1, 64)):
        blob[rnd.randrange(0, 4096)] = rnd.randrange(256)
    if i % 5 == 0:
        blob = bytearray(rnd.randbytes(len(blob)))
    f = path(f"fuzz{i}.img")
    open(f, "wb").write(blob)
    for tool in (FSCK, DUMP):
        rc, _, _ = run(tool, f)
        expect(rc in (0, 1, 2), f"{tool} {f}: rc {rc}")

for f in failures:
    print("FAIL:", f)
print(f"statefs tools: {len(failures)} failures")
sys.exit(1 if failures else 0)

#!/usr/bin/env python3
"""statefs host tools test: mkstatefs, statefs-fsck and statefs-dump on real image
files: exit codes, output, corruption report and repair, malformed images.
Usage: test_tools.py MKSTATEFS FSCK DUMP WORKDIR"""
import os
import random
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

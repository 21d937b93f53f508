#!/usr/bin/env python3
"""keystore host tools: mkdevsecret (format, mode, refuses to overwrite, fresh
randomness) and keystore-inspect (lists records and whether each opens, flags a
tampered record and another root secret, never prints secret material), on a
statefs image whose records the keystore engine made (ks_fixture).
Usage: test_tools.py MKDEVSECRET INSPECT MKSTATEFS FIXTURE WORKDIR"""
import hashlib
import hmac
import os
import shutil
import stat
import struct
import subprocess
import sys
import zlib

MKDEV, INSPECT, MKSTATEFS, FIXTURE, WORK = sys.argv[1:6]
failures = []


def run(*args):
    """Run a tool; a signal or a sanitizer report always fails the test."""
    p = subprocess.run(list(args), capture_output=True)
    if p.returncode < 0 or b"Sanitizer" in p.stderr:
        failures.append(f"{args}: crashed ({p.returncode}): {p.stderr[-300:]!r}")
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def expect(cond, what):
    if not cond:
        failures.append(what)


def crc32c(data):
    """CRC32-C, bitwise (reference for the devsecret CRC field)."""
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def hkdf(salt, ikm, info, n):
    prk = hmac.new(salt, ikm, hashlib.sha256).digest()
    out, t, i = b"", b"", 1
    while len(out) < n:
        t = hmac.new(prk, t + info + bytes([i]), hashlib.sha256).digest()
        out += t
        i += 1
    return out[:n]


def path(name):
    return os.path.join(WORK, name)


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)

# mkdevsecret: layout, mode 0600, no overwrite, different secrets each time.
a, b = path("a.secret"), path("b.secret")
rc, _, err = run(MKDEV, a)
expect(rc == 0, f"mkdevsecret rc {rc}: {err}")
rc, _, _ = run(MKDEV, b)
expect(rc == 0, "second mkdevsecret")
raw = open(a, "rb").read()
expect(len(raw) == 4096, f"devsecret size {len(raw)}")
expect(raw[:8] == b"CAIRNHUK", "devsecret magic")
expect(struct.unpack_from("<II", raw, 8) == (1, 0), "devsecret version/flags")
expect(struct.unpack_from("<I", raw, 48)[0] == crc32c(raw[:48]), "devsecret CRC")
expect(raw[52:] == bytes(4096 - 52), "devsecret padding")
expect(raw[16:48] != open(b, "rb").read()[16:48], "two devsecrets share a secret")
expect(stat.S_IMODE(os.stat(a).st_mode) == 0o600, "devsecret mode")
before = open(a, "rb").read()
rc, _, err = run(MKDEV, a)
expect(rc == 2 and open(a, "rb").read() == before, "mkdevsecret must not overwrite")
rc, _, err = run(MKDEV)
expect(rc == 2 and "usage" in err, "mkdevsecret usage")
secret = raw[16:48]
kek = hkdf(b"cairn-keystore", secret, b"cairn keystore kek v1", 32)

# Records made by the engine: device key (first boot) and one more key.
img = path("state.img")
rc, _, err = run(MKSTATEFS, img, "256K")
expect(rc == 0, f"mkstatefs {err}")
rc, out, err = run(FIXTURE, "boot", img, a, "--create", "shell/k1")
expect(rc == 0 and "keystore: device key created pub=" in out, f"first boot: {out} {err}")
pub16 = out.split("pub=")[1][:16]
rc, out, err = run(FIXTURE, "boot", img, a)
expect(rc == 0 and f"keystore: device key loaded pub={pub16}" in out, f"second boot: {out}")

rc, out, err = run(INSPECT, img, a)
expect(rc == 0, f"inspect rc {rc}: {err}")
lines = [l.split("\t") for l in out.strip().splitlines()[1:]]
expect(len(lines) == 2, f"inspect lines: {out}")
rows = {(l[0], l[1]): l for l in lines}
dev = rows.get(("keystore", "device"))
expect(dev is not None and dev[2] == "ed25519" and dev[5] == f"pub={pub16}" and dev[6] == "opens",
       f"device row: {dev}")
expect(("shell", "k1") in rows and rows[("shell", "k1")][6] == "opens", f"k1 row: {out}")
for s, what in ((secret, "root secret"), (kek, "KEK")):
    for w in range(0, 32 - 8 + 1):
        h = s[w:w + 8].hex()
        expect(h not in out.lower() and h not in err.lower(), f"{what} printed by keystore-inspect")

# Another root secret: nothing opens (exit 1); a malformed one is refused.
rc, out, err = run(INSPECT, img, b)
expect(rc == 1 and out.count("DOES NOT OPEN") == 2, f"wrong secret: {rc} {out}")
bad = path("bad.secret")
open(bad, "wb").write(raw[:20] + bytes([raw[20] ^ 1]) + raw[21:])
rc, out, err = run(INSPECT, img, bad)
expect(rc == 1 and "CRC mismatch" in err, f"malformed secret: {rc} {err}")
rc, _, err = run(INSPECT, img)
expect(rc == 2 and "usage" in err, "inspect usage")

# A flipped byte in one record: inspect names it; the engine fails closed and
# does not regenerate; recovery makes a new identity.
rc, _, err = run(FIXTURE, "flip", img, "/state/keystore/keystore/device", "70")
expect(rc == 0, f"flip: {err}")
rc, out, err = run(INSPECT, img, a)
expect(rc == 1 and "keystore\tdevice" in out and "DOES NOT OPEN" in out and "k1" in out,
       f"inspect after flip: {out}")
rc, out, err = run(FIXTURE, "boot", img, a)
expect(rc == 1 and "fail closed" in out and "created" not in out, f"tampered boot: {out}")
rc, out, err = run(FIXTURE, "boot", img, a, "--recover")
expect(rc == 0 and "keystore: device key created pub=" in out and "recovery" in out,
       f"recovery boot: {out}")
expect(out.split("pub=")[1][:16] != pub16, "recovery kept the old key")
rc, out, err = run(INSPECT, img, a)
expect(rc == 0 and out.count("opens") == 1, f"inspect after recovery: {out}")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print("keystore tools ok")

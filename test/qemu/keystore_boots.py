#!/usr/bin/env python3
"""keystore boot proofs (suite qemu, keystore; test/qemu/meson.build).

  keystore_boots.py QEMU_PY KERNEL LOGDIR NAME MKDEVSECRET INSPECT FIXTURE DUMP MODE

MODE persist:  one state disk, one root secret, virtio-rng: boot 1 creates the
               device key (and the selftest records its public key), boots 2 and
               3 load the same key (persist ok; boot 3 on the modern transport);
               keystore-inspect agrees.
MODE tamper:   after boot 1, one byte of the sealed device record is flipped on
               the host (through statefs, so only the record is damaged): the
               keystore fails closed, does not regenerate (the record is
               unchanged afterwards), tamper refused ok; a boot with
               keystorerecover then makes a new key and says so.
MODE norng:    first boot without an entropy device: creation refused, fail
               closed; with one: created; without again: the key still loads.
MODE wrongsecret: boot 1 with one root secret, boot 2 with another: records do
               not open, fail closed, nothing written.
MODE nosecret: no devsecret disk, and a malformed one: fail closed, saying so.
"""
import os
import re
import subprocess
import sys
import tempfile

QEMU_PY, KERNEL, LOGDIR, NAME, MKDEV, INSPECT, FIXTURE, DUMP, MODE = sys.argv[1:10]
DEVICE = "/state/keystore/keystore/device"
failures = []
CREATED = "keystore: device key created pub="
CREATED_RE = r"keystore: device key created pub=[0-9a-f]{16}"


def tool(*cmd):
    p = subprocess.run(list(cmd), capture_output=True)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


def boot(tag, state, secret, rng=True, append="selftest", expect=(), forbid=(), modern=False):
    """One boot; returns the log text ('' when the boot failed its checks)."""
    log = os.path.join(LOGDIR, f"{NAME}_{tag}.log")
    cmd = [sys.executable, QEMU_PY, "test", "--kernel", KERNEL, "--smp", "2", "--timeout", "180",
           "--disk", f"{state}:state", "--append", append, "--log", log,
           "--expect", "SELFTEST: done failed=0", "--forbid", "PANIC|TRAP|FAILED"]
    if secret:
        cmd += ["--disk", f"{secret}:devsecret:ro"]
    if rng:
        cmd += ["--rng"]
    if modern:
        cmd += ["--modern"]
    for m in expect:
        if m == CREATED:
            cmd += ["--expect-match", CREATED_RE]
        else:
            cmd += ["--expect", m]
    for m in forbid:
        cmd += ["--forbid", m]
    if subprocess.run(cmd).returncode != 0:
        failures.append(f"boot '{tag}' failed (log {log})")
        return ""
    with open(log, errors="replace") as f:
        return f.read()


def pub_of(text, verb):
    m = re.search(rf"^keystore: device key {verb} pub=([0-9a-f]{{16}})\r?$", text, re.M)
    return m.group(1) if m else None


def record(state):
    rc, out, _ = tool(DUMP, "--get", DEVICE, state)
    return out if rc == 0 else None


def main():
    os.makedirs(LOGDIR, exist_ok=True)
    work = tempfile.mkdtemp(prefix="ks-")
    state, secret, other = (os.path.join(work, n) for n in ("state.img", "a.secret", "b.secret"))
    with open(state, "wb") as f:
        f.truncate(16 << 20)
    for s in (secret, other):
        rc, _, err = tool(MKDEV, s)
        if rc:
            sys.exit(f"mkdevsecret: {err}")
    created = CREATED
    if MODE == "persist":
        t = boot("1", state, secret, expect=["SELFTEST: device key recorded",
                                             "SELFTEST: keystore unauthorized access rejected",
                                             "SELFTEST: keystore bad caller memory refused ok"])
        pub = pub_of(t, "created")
        for n in ("2", "3"):
            # boot 3 on the modern (version 2) virtio-mmio transport
            t = boot(n, state, secret, expect=["SELFTEST: device key persist ok",
                                               f"keystore: device key loaded pub={pub}",
                                               "SELFTEST: keystore unauthorized access rejected"],
                     forbid=[created], modern=n == "3")
            if n == "3" and "version=2 health=sp800-90b" not in t:
                failures.append("boot 3: the entropy device did not come up on modern virtio-mmio")
        rc, out, _ = tool(INSPECT, state, secret)
        if rc != 0 or f"pub={pub}".encode() not in out:
            failures.append(f"keystore-inspect: {rc} {out!r}")
    elif MODE == "tamper":
        pub = pub_of(boot("1", state, secret), "created")
        rc, _, err = tool(FIXTURE, "flip", state, DEVICE, "70")
        if rc:
            failures.append(f"flip: {err}")
        before = record(state)
        boot("2", state, secret,
             expect=["keystore: record does not open: /state/keystore/keystore/device: "
                     "CRC mismatch (damaged): fail closed",
                     "cairn: component keystore failed err=-74 (EBADMSG)",
                     "SELFTEST: keystore tamper refused ok"], forbid=[created])
        if record(state) != before:
            failures.append("the tampered record changed: keystore wrote or regenerated")
        t = boot("3", state, secret, append="selftest keystorerecover",
                 expect=["keystore: recovery requested: destroying the device identity",
                         created])
        new = pub_of(t, "created")
        if not new or new == pub:
            failures.append(f"recovery kept the old key ({pub} -> {new})")
    elif MODE == "norng":
        boot("1", state, secret, rng=False,
             expect=["keystore: no entropy source: refusing to create the device key: fail closed",
                     "cairn: component keystore failed err=-19 (ENODEV)"], forbid=[created])
        pub = pub_of(boot("2", state, secret), "created")
        boot("3", state, secret, rng=False,
             expect=[f"keystore: device key loaded pub={pub}"])
    elif MODE == "wrongsecret":
        boot("1", state, secret, expect=[created])
        before = record(state)
        boot("2", state, other,
             expect=["keystore: record does not open: /state/keystore/keystore/device: does not "
                     "authenticate (tampered, moved, or another root secret): fail closed"],
             forbid=[created])
        if record(state) != before:
            failures.append("another root secret changed the record")
    elif MODE == "nosecret":
        boot("1", state, None,
             expect=["keystore: no device root secret: devsecret disk missing: fail closed"],
             forbid=[created])
        with open(secret, "r+b") as f:
            f.seek(20)
            b = f.read(1)
            f.seek(20)
            f.write(bytes([b[0] ^ 1]))
        boot("2", state, secret,
             expect=["keystore: device root secret malformed: CRC mismatch: fail closed"],
             forbid=[created])
    else:
        sys.exit(f"unknown mode {MODE}")
    if failures:
        print("\n".join(failures))
        sys.exit(1)
    print(f"{NAME}: ok")


main()

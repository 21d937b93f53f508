#!/usr/bin/env python3
"""statefs boot proofs on a fresh `state` disk file (blank: statefs formats it).

  statefs_boots.py QEMU_PY KERNEL LOGDIR NAME FSCK DUMP MODE [--block-size N] [--mkfs MKSTATEFS]

MODE count:  three boots (selftest statefsnotest: the boot counter is the only
             record each boot writes) expect `statefs: boot count=1`, 2, 3, and the
             host tools agree (fsck clean, dump reads 3). Then one byte of the last
             record (boot 3's counter value) is flipped: fsck reports corruption and
             dump serves the earlier value 2; boot 4 reports the crc mismatch, keeps
             serving the earlier records and counts 3 again, exit 0; fsck is clean
             after it (the new record replaced the damaged tail).
             `statefs-fsck --roll-forward` then adopts the newer state: the next
             boot counts 4.
MODE midlog: three counting boots, then a byte of boot 2's counter record (not the
             last record: boot 3's record after it follows a flush) is flipped:
             fsck reports a damaged store (exit 1) and --repair refuses it; the
             boot reports the crc mismatch, serves the store read-only (damaged),
             counts 2 without storing it and writes nothing; after
             `statefs-fsck --discard-damaged` the next boot counts 2 and stores it.
MODE badsuper: a store made by mkstatefs whose two superblock copies both fail
             their CRC: statefs reports it, does not start, and never formats or
             writes the disk (the file is byte-identical afterwards); the other
             selftests still pass.
MODE lostsuper: three counting boots, then the newest superblock copy is damaged
             (a lost superblock update): replay stops at boot 3's record as
             bad-epoch; statefs serves the older records read-only (records may
             follow the stop), counts 3 without storing it, and writes nothing.
MODE badcount: a store made by mkstatefs whose boot counter holds 3 bytes instead
             of 8: the boot reports the counter unreadable (wrong size), audits it
             as an integrity error and counts 1; the host tools read 1; the next
             boot counts 2.
MODE reccap: a store made by mkstatefs with four records (the first the boot
             counter, holding the 8 ASCII bytes "00000000"), booted with
             statefsreccap=2: replay stops at record 2 (record-cap), statefs
             serves the two records before it read-only (keys=2), reads the
             earlier counter and counts it + 1 without storing it (the put fails
             with EROFS), and the disk file is byte-identical afterwards. A bad
             statefsreccap value is refused: statefs does not start, nothing written.
MODE quota:  one boot (selftest statefsquota) runs the prefix quota smoke: /state/quota/
             (quota=4K keys=16 in the table) filled to quota + 1 byte and to 16 + 1
             keys (EDQUOT), another prefix unaffected, a delete frees space, a
             restart recomputes the usage; the host tools then find the store clean
             and the quota prefix emptied by the smoke.
MODE full:   a 256 KiB state disk: boot 1 (selftest statefsfull) fills it to ENOSPC,
             then deletes, syncs, compacts and remounts cleanly (the ENOSPC smoke);
             fsck is clean and dump reads the values it left; boot 2 mounts the
             nearly full store and counts 2.
MODE ckpt:   a store made by mkstatefs --ckpt-interval 1K (its unmount wrote an index
             checkpoint: fsck reports it) whose checkpoint is then damaged: fsck
             exits 1 (checkpoint damaged); the boot says so (and audits it), mounts
             by a full replay with every key, counts on and stores it; the first
             sync compacted the damaged checkpoint away, so fsck is clean after it.
MODE reboot: boot 1 (selftest stateseed=<unique>) runs every statefs selftest and
             writes the seed; the host tools read the same keys and values; boot 2
             (stateverify) reads the seed back.
"""
import os
import random
import re
import struct
import subprocess
import sys
import tempfile

COUNT_KEY = b"/state/statefs/boot_count"


def tool(cmd):
    """Run a host tool; (exit status, stdout bytes, stderr text)."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout, p.stderr.decode(errors="replace")


class Run:
    def __init__(self, qemu_py, kernel, logdir, name, fsck, dump, disk, bs):
        self.qemu_py, self.kernel, self.logdir, self.name = qemu_py, kernel, logdir, name
        self.fsck, self.dump, self.disk, self.bs = fsck, dump, disk, bs

    def boot(self, tag, append, expect, expect_match=(), smp=4, ready=True, forbid=()):
        """One QEMU boot on the state disk; True when it passed."""
        cmd = [sys.executable, self.qemu_py, "test", "--kernel", self.kernel, "--smp", str(smp),
               "--timeout", "120", "--forbid", "PANIC|TRAP|FAILED",
               "--disk", f"{self.disk}:state::{self.bs}", "--append", append,
               "--log", os.path.join(self.logdir, f"{self.name}_{tag}.log"),
               "--expect", "SELFTEST: done failed=0", "--check-timeline"]
        if ready:
            cmd += ["--expect", "statefs: ready"]
        for m in expect:
            cmd += ["--expect", m]
        for m in expect_match:
            cmd += ["--expect-match", m]
        for m in forbid:
            cmd += ["--forbid", m]
        ok = subprocess.run(cmd).returncode == 0
        if not ok:
            print(f"{self.name}: boot '{tag}' failed")
        return ok

    def fsck_status(self):
        rc, out, err = tool([self.fsck, self.disk])
        print(f"statefs-fsck -> {rc}: {(out.decode(errors='replace') + err).strip()}")
        return rc

    def get(self, key):
        rc, out, err = tool([self.dump, "--get", key, self.disk])
        if rc != 0:
            print(f"statefs-dump --get {key} -> {rc}: {err.strip()}")
            return None
        return out

    def count(self):
        v = self.get(COUNT_KEY.decode())
        return struct.unpack("<Q", v)[0] if v is not None and len(v) == 8 else None

    def keys(self):
        rc, out, err = tool([self.dump, self.disk])
        if rc != 0:
            print(f"statefs-dump -> {rc}: {err.strip()}")
            return None
        rows = [line.split("\t", 1) for line in out.decode().splitlines()]
        return {k: int(n) for n, k in rows}


def flip_last_count_record(disk, want):
    """Flip the first value byte of the last record holding the boot counter
    (record = 32-byte header, key, value; the value follows the key). Checks the
    value it damages is `want` first."""
    with open(disk, "r+b") as f:
        data = f.read()
        pos = data.rfind(COUNT_KEY)
        if pos < 0:
            return "no boot counter record found"
        voff = pos + len(COUNT_KEY)
        (val,) = struct.unpack_from("<Q", data, voff)
        if val != want:
            return f"last counter record holds {val}, expected {want}"
        f.seek(voff)
        f.write(bytes([data[voff] ^ 0xFF]))
    print(f"flipped byte at file offset {voff} (boot counter value {want})")
    return None


def mode_count(r):
    for n in (1, 2, 3):
        if not r.boot(f"count{n}", "selftest statefsnotest", [f"statefs: boot count={n}"], smp=2):
            return 1
        if r.fsck_status() != 0 or r.count() != n:
            print(f"{r.name}: host tools disagree after boot {n}")
            return 1
    problem = flip_last_count_record(r.disk, 3)
    if problem:
        print(f"{r.name}: {problem}")
        return 1
    if r.fsck_status() != 1:
        print(f"{r.name}: statefs-fsck did not report the flipped byte")
        return 1
    if r.count() != 2:
        print(f"{r.name}: statefs-dump does not serve the last valid counter (2)")
        return 1
    if not r.boot("corrupt", "selftest statefsnotest", ["statefs: boot count=3"],
                  [r"statefs: crc mismatch \(record=2\) offset=\d+ discarded=\d+ bytes",
                   r"statefs: integrity error journal record=2 reason=\S+ \(caller=statefs op=mount\)"],
                  smp=2):
        return 1
    if r.fsck_status() != 0 or r.count() != 3:
        print(f"{r.name}: host tools disagree after the corrupt boot")
        return 1
    print(f"{r.name}: counts 1, 2, 3; crc mismatch reported; count continued at 3")
    return 0


def mode_reboot(r):
    seed = random.SystemRandom().randrange(1, 2**40)  # unique to this run
    first = ["SELFTEST: statefs put ok", "SELFTEST: statefs batch ok",
             "SELFTEST: statefs unauthorized access rejected",
             "SELFTEST: statefs reboot seed written",
             "SELFTEST: statefs bad caller memory refused ok",
             "SELFTEST: statefs key race confined ok",
             "SELFTEST: audit escapes untrusted text ok",
             "cap: bad address caller=selftest callee=statefs op=copy-out",
             "statefs: boot count=1",
             "statefs: access denied (path=/state/keystore/device_key sender=selftest) op=get",
             "statefs: access denied (path=/state/boot/slot sender=selftest) op=put"]
    if not r.boot("write", f"selftest stateseed={seed}", first,
                  [r"SELFTEST: statefs concurrent ok threads=\d+ harts=4 ops=\d+",
                   r"cairn: component statefs restarted",
                   r"SELFTEST: statefs persist ok \(gen \d+ -> \d+\)",
                   r"SELFTEST: statefs restart under load ok threads=4 restarts=2 eagain=\d+"]):
        return 1
    keys = r.keys()
    want_conc = {f"/state/selftest/conc/t{t}/k{k}" for t in range(4) for k in range(4)}
    if (r.fsck_status() != 0 or keys is None or not want_conc <= set(keys)
            or r.get("/state/selftest/reboot") != f"seed={seed}".encode() or r.count() != 1
            or "/state/selftest/put" not in keys or "/state/selftest/persist" not in keys):
        print(f"{r.name}: host tools disagree with what boot 1 wrote: {keys}")
        return 1
    if not r.boot("verify", f"selftest stateseed={seed} stateverify",
                  ["SELFTEST: statefs reboot persist ok", "statefs: boot count=2"]):
        return 1
    if r.fsck_status() != 0 or r.count() != 2:
        print(f"{r.name}: host tools disagree after boot 2")
        return 1
    print(f"{r.name}: seed {seed} written, read back on reboot; host tools agree")
    return 0


def mode_lostsuper(r):
    for n in (1, 2, 3):
        if not r.boot(f"count{n}", "selftest statefsnotest", [f"statefs: boot count={n}"], smp=2):
            return 1
    bs = int(r.bs)
    with open(r.disk, "r+b") as f:
        gens = []
        for copy in (0, 1):
            f.seek(copy * bs)
            sb = f.read(92)
            if sb[:8] != b"CAIRNSFS":
                print(f"{r.name}: superblock copy {copy} has no magic")
                return 1
            gens.append(struct.unpack_from("<Q", sb, 24)[0])
        newest = 0 if gens[0] > gens[1] else 1
        f.seek(newest * bs + 20)
        b = f.read(1)
        f.seek(newest * bs + 20)
        f.write(bytes([b[0] ^ 0x01]))
    print(f"damaged superblock copy {newest} (generations {gens})")
    with open(r.disk, "rb") as f:
        before = f.read()
    if not r.boot("lostsuper", "selftest statefsnotest",
                  ["statefs: boot count=3 (read-only store: not recorded)"],
                  [r"statefs: journal damaged \(reason=bad-epoch record=2\) offset=\d+ discarded=\d+ bytes",
                   r"statefs: serving read-only: rolled-back store \(reason=bad-epoch\); not appending, inspect with statefs-fsck",
                   r"statefs: mounted serial=state .* records=2 keys=1 formatted=0 ro=1 .*"],
                  smp=2):
        return 1
    with open(r.disk, "rb") as f:
        if f.read() != before:
            print(f"{r.name}: statefs wrote to a store it should serve read-only")
            return 1
    rc, out, err = tool([r.fsck, "--roll-forward", r.disk])
    if rc != 0:
        print(f"{r.name}: statefs-fsck --roll-forward -> {rc}: {out!r} {err!r}")
        return 1
    if not r.boot("rolledforward", "selftest statefsnotest", ["statefs: boot count=4"], smp=2):
        return 1
    print(f"{r.name}: newer records kept: served read-only, nothing written; roll-forward counts 4")
    return 0


def mode_midlog(r):
    for n in (1, 2, 3):
        if not r.boot(f"count{n}", "selftest statefsnotest", [f"statefs: boot count={n}"], smp=2):
            return 1
    with open(r.disk, "r+b") as f:
        data = f.read()
        pos = [m.start() for m in re.finditer(re.escape(COUNT_KEY), data)]
        if len(pos) < 3:
            print(f"{r.name}: expected 3 counter records, found {len(pos)}")
            return 1
        voff = pos[1] + len(COUNT_KEY)
        if struct.unpack_from("<Q", data, voff)[0] != 2:
            print(f"{r.name}: the second counter record does not hold 2")
            return 1
        f.seek(voff)
        f.write(bytes([data[voff] ^ 0xFF]))
    with open(r.disk, "rb") as f:
        before = f.read()
    rc, out, _ = tool([r.fsck, r.disk])
    if rc != 1 or b"class: damaged" not in out:
        print(f"{r.name}: statefs-fsck did not report a damaged store: {rc} {out!r}")
        return 1
    rc, _, _ = tool([r.fsck, "--repair", r.disk])
    with open(r.disk, "rb") as f:
        if rc != 1 or f.read() != before:
            print(f"{r.name}: statefs-fsck --repair did not refuse the damaged store ({rc})")
            return 1
    if not r.boot("damaged", "selftest statefsnotest",
                  ["statefs: boot count=2 (read-only store: not recorded)"],
                  [r"statefs: crc mismatch \(record=1\) offset=\d+ discarded=\d+ bytes",
                   r"statefs: serving read-only: damaged store \(reason=bad-crc\); not appending, inspect with statefs-fsck",
                   r"statefs: mounted serial=state .* records=1 keys=1 formatted=0 ro=1 .*"],
                  smp=2):
        return 1
    with open(r.disk, "rb") as f:
        if f.read() != before:
            print(f"{r.name}: statefs wrote to a damaged store")
            return 1
    rc, out, err = tool([r.fsck, "--discard-damaged", r.disk])
    if rc != 0:
        print(f"{r.name}: statefs-fsck --discard-damaged -> {rc}: {out!r} {err!r}")
        return 1
    if not r.boot("discarded", "selftest statefsnotest", ["statefs: boot count=2"],
                  forbid=[r"read-only store"], smp=2):
        return 1
    if r.fsck_status() != 0 or r.count() != 2:
        print(f"{r.name}: host tools disagree after the discard")
        return 1
    print(f"{r.name}: mid-log damage: read-only, nothing written; discard-damaged counts 2")
    return 0


def mode_badsuper(r, mkfs):
    rc, _, err = tool([mkfs, "-s", r.bs, "--add", "/state/selftest/keep=1", r.disk, "8M"])
    if rc != 0:
        print(f"{r.name}: mkstatefs failed: {err.strip()}")
        return 1
    bs = int(r.bs)
    with open(r.disk, "r+b") as f:
        for copy in (0, 1):  # byte 20 lies in sector_count: magic intact, CRC fails
            f.seek(copy * bs + 20)
            b = f.read(1)
            f.seek(copy * bs + 20)
            f.write(bytes([b[0] ^ 0x01]))
    with open(r.disk, "rb") as f:
        before = f.read()
    if r.fsck_status() != 1:
        print(f"{r.name}: statefs-fsck did not report the damaged superblocks")
        return 1
    if not r.boot("badsuper", "selftest",
                  ["statefs: not mounted: corrupt: no valid superblock (not formatted: the disk "
                   "is not blank) (EBADMSG)",
                   "cairn: component statefs failed err=-74 (EBADMSG)",
                   "SELFTEST: statefs skipped (statefs not up)"],
                  smp=2, ready=False):
        return 1
    with open(r.disk, "rb") as f:
        if f.read() != before:
            print(f"{r.name}: the corrupt state disk was written to")
            return 1
    print(f"{r.name}: corrupt superblocks reported, disk left untouched")
    return 0


def mkfs(r, mkstatefs, adds, opts=()):
    """Create the disk with mkstatefs and the given KEY=VALUE entries; True when it worked."""
    cmd = [mkstatefs, "-s", r.bs] + list(opts)
    for a in adds:
        cmd += ["--add", a]
    rc, _, err = tool(cmd + [r.disk, "8M"])
    if rc != 0:
        print(f"{r.name}: mkstatefs failed: {err.strip()}")
    return rc == 0


def mode_badcount(r, mkstatefs):
    if not mkfs(r, mkstatefs, [COUNT_KEY.decode() + "=bad", "/state/selftest/keep=1"]):
        return 1
    if r.fsck_status() != 0 or r.get(COUNT_KEY.decode()) != b"bad":
        print(f"{r.name}: host tools do not read the 3-byte counter")
        return 1
    if not r.boot("badcount", "selftest statefsnotest",
                  ["statefs: boot counter unreadable (wrong size), starting over",
                   "statefs: integrity error /state/statefs/boot_count (caller=statefs op=boot)",
                   "statefs: boot count=1"], smp=2):
        return 1
    if r.fsck_status() != 0 or r.count() != 1 or r.get("/state/selftest/keep") != b"1":
        print(f"{r.name}: host tools disagree after the bad-counter boot")
        return 1
    if not r.boot("next", "selftest statefsnotest", ["statefs: boot count=2"],
                  forbid=["statefs: boot counter unreadable"], smp=2):
        return 1
    if r.fsck_status() != 0 or r.count() != 2:
        print(f"{r.name}: host tools disagree after the next boot")
        return 1
    print(f"{r.name}: wrong-size counter reported and audited; counts 1, then 2")
    return 0


def mode_reccap(r, mkstatefs):
    if not mkfs(r, mkstatefs, [COUNT_KEY.decode() + "=00000000", "/state/selftest/a=1",
                               "/state/selftest/b=2", "/state/selftest/c=3"]):
        return 1
    with open(r.disk, "rb") as f:
        before = f.read()
    for bad in ("0", "12x", "99999999999"):
        if not r.boot(f"bad{bad}", f"selftest statefsnotest statefsreccap={bad}",
                      [f"statefs: not mounted: bad boot argument statefsreccap={bad} "
                       "(want a record count 1..4294967295)",
                       "cairn: component statefs failed err=-22 (EINVAL)"],
                      smp=2, ready=False):
            return 1
    want = struct.unpack("<Q", b"00000000")[0] + 1
    if not r.boot("reccap", "selftest statefsnotest statefsreccap=2",
                  ["statefs: replay record cap lowered to 2 (statefsreccap)",
                   f"statefs: boot count={want} (read-only store: not recorded)"],
                  [r"statefs: journal damaged \(reason=record-cap record=2\) offset=\d+ discarded=\d+ bytes",
                   r"statefs: integrity error journal record=2 reason=record-cap \(caller=statefs op=mount\)",
                   r"statefs: serving read-only: damaged store \(reason=record-cap\); not appending, inspect with statefs-fsck",
                   r"statefs: mounted serial=state .* records=2 keys=2 formatted=0 ro=1 .*"],
                  smp=2):
        return 1
    with open(r.disk, "rb") as f:
        if f.read() != before:
            print(f"{r.name}: statefs wrote to a store it should serve read-only")
            return 1
    if r.fsck_status() != 0 or len(r.keys() or {}) != 4:
        print(f"{r.name}: the records beyond the cap are not intact")
        return 1
    print(f"{r.name}: record cap reached: served read-only, counter read, nothing written")
    return 0


def mode_quota(r):
    if not r.boot("quota", "selftest statefsquota", ["SELFTEST: limits quota ok bytes=4096 keys=16"],
                  smp=2):
        return 1
    keys = r.keys()
    if r.fsck_status() != 0 or keys is None or any(k.startswith("/state/quota/") for k in keys):
        print(f"{r.name}: host tools disagree after the quota smoke: {keys}")
        return 1
    print(f"{r.name}: quota smoke passed; store clean, quota prefix emptied")
    return 0


def mode_full(r):
    if not r.boot("full", "selftest statefsfull", [],
                  [r"SELFTEST: limits enospc ok puts=\d+ then ENOSPC; delete, sync, compact, remount clean"],
                  smp=2):
        return 1
    keys = r.keys()
    full = sorted(k for k in (keys or {}) if k.startswith("/state/selftest/full/"))
    if r.fsck_status() != 0 or not full or any(keys[k] != 4000 for k in full):
        print(f"{r.name}: host tools disagree after the ENOSPC smoke: {keys}")
        return 1
    if not r.boot("next", "selftest statefsnotest", ["statefs: boot count=2"],
                  [r"statefs: mounted serial=state .* keys=\d+ formatted=0 ro=0 .*"],
                  forbid=["read-only store"], smp=2):
        return 1
    if r.fsck_status() != 0 or r.count() != 2:
        print(f"{r.name}: host tools disagree after the second boot")
        return 1
    print(f"{r.name}: filled to ENOSPC, recovered space, {len(full)} values kept; next boot counts 2")
    return 0


def mode_ckpt(r, mkstatefs):
    keys = [f"/state/selftest/ck{i:02d}" for i in range(40)]
    if not mkfs(r, mkstatefs, [COUNT_KEY.decode() + "=00000000"] + [f"{k}=value-{k[-2:]}" for k in keys],
                ["--ckpt-interval", "1K"]):
        return 1
    rc, out, _ = tool([r.fsck, r.disk])
    if rc != 0 or b"checkpoint: newest at offset" not in out:
        print(f"{r.name}: mkstatefs wrote no checkpoint: {out!r}")
        return 1
    with open(r.disk, "r+b") as f:
        data = bytearray(f.read())
        at = data.find(b"SFR1\x03")  # the checkpoint's first chunk: magic, type CKPT
        data[at + 32 + 40] ^= 0x10  # a byte of its entries: its CRC fails
        f.seek(0)
        f.write(data)
    rc, out, _ = tool([r.fsck, r.disk])
    if rc != 1 or b"checkpoint damaged" not in out:
        print(f"{r.name}: fsck did not report the damaged checkpoint: {rc} {out!r}")
        return 1
    want = struct.unpack("<Q", b"00000000")[0] + 1
    if not r.boot("ckpt", "selftest statefsnotest",
                  ["statefs: checkpoint damaged=newest skipped=0; mounted from full-replay, nothing lost",
                   f"statefs: boot count={want}"],
                  [r"statefs: mounted serial=state .* records=41 keys=41 formatted=0 ro=0 .*"],
                  smp=2):
        return 1
    found = r.keys() or {}
    if r.fsck_status() != 0 or any(k not in found for k in keys) or r.count() != want:
        print(f"{r.name}: the store is not clean and complete after the boot")
        return 1
    print(f"{r.name}: damaged checkpoint reported, full replay served every key, compacted away")
    return 0


def main():
    qemu_py, kernel, logdir, name, fsck, dump, mode = sys.argv[1:8]
    extra = sys.argv[8:]
    bs = extra[extra.index("--block-size") + 1] if "--block-size" in extra else "512"
    with tempfile.TemporaryDirectory() as work:
        disk = os.path.join(work, "state.img")
        with open(disk, "wb") as f:
            f.truncate(256 << 10 if mode == "full" else 8 << 20)
        r = Run(qemu_py, kernel, logdir, name, fsck, dump, disk, bs)
        if mode in ("badsuper", "badcount", "reccap", "ckpt"):
            fn = {"badsuper": mode_badsuper, "badcount": mode_badcount, "reccap": mode_reccap,
                  "ckpt": mode_ckpt}
            return fn[mode](r, extra[extra.index("--mkfs") + 1])
        return {"count": mode_count, "reboot": mode_reboot, "lostsuper": mode_lostsuper,
                "midlog": mode_midlog, "quota": mode_quota, "full": mode_full}[mode](r)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""bootctl multi-boot scenarios: every scenario is a sequence of boots on ONE state
disk, with package images built at test time from the fixture tree by `mkpkgfs
build --release N` and signed with the build key, attached read-only as pkg_a and
pkg_b (docs/bootctl.md):

  first       a blank state disk: slot a is tried and confirmed; a later selftest
              boot reads back what the first boot wrote (SELFTEST: bootctl persist ok)
  update      release 2 written to b, boot.try=b: trial, confirmed, floor raised;
              the next boot runs b as good
  badsig      b holds release 2 with a flipped signature byte, boot.try=b: b is
              refused and a is mounted in the same boot
  unconfirmed b tried with boot.health=fail on every boot: its tries run down (2, 1,
              0) and the next boot abandons it for a
  rollback    a (release 2) confirmed, then release 1 written to b, boot.try=b:
              refused as a rollback, a mounted in the same boot
  damaged     a confirmed, b in trial, then the control record damaged on the host
              (bootctl-state corrupt): the last confirmed slot a boots as good
  single      no package disk: the fixture, state untouched; a lone pkgfs disk is
              slot a (tried, confirmed, good); an older release on it is refused
              and packagefs fails closed

A boot ends at bootctl's health-gate line (the state is committed and synced before
it is printed), then QEMU is stopped; the selftest boot ends through the finisher.

  bootctl_boots.py QEMU_PY KERNEL MKPKGFS KEYFILE BOOTCTL_STATE FIXTURE LOGDIR NAME [SCENARIO...]
"""
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import time
import types

BOOT_TIMEOUT = 90
failures = []


def load_qemu(path):
    """qemu.py as a module, for its command builder."""
    spec = importlib.util.spec_from_file_location("cairn_qemu", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class Rig:
    """One scenario's files: images, the state disk, logs."""

    def __init__(self, args, work, name):
        (self.qemu_py, self.kernel, self.mkpkgfs, self.key, self.tool, self.fixture,
         self.logdir) = args
        self.qemu = load_qemu(self.qemu_py)
        self.work = work
        self.name = name
        self.nboot = 0
        self.state = os.path.join(work, "state.img")
        with open(self.state, "wb") as f:
            f.truncate(1 << 20)

    def image(self, slot, release, flip_sig=False):
        """Build the fixture tree as release N into slot's image file (slot
        "pkgfs": the lone single-slot disk)."""
        path = os.path.join(self.work, ("pkg_%s.img" % slot) if slot != "pkgfs" else "pkgfs.img")
        subprocess.run([self.mkpkgfs, "build", self.fixture, path, "--key", self.key,
                        "--release", str(release)], check=True, capture_output=True)
        if flip_sig:
            data = bytearray(open(path, "rb").read())
            data[160 + 7] ^= 0x01  # a byte of the Ed25519 signature
            with open(path, "wb") as f:
                f.write(data)
        return path

    def boot(self, append="", expect=(), selftest=False, forbid=()):
        """One boot; returns the console text. Fails the scenario on a missing
        marker or a line matching a forbidden regex."""
        self.nboot += 1
        a = types.SimpleNamespace(qemu="qemu-system-riscv64", smp=2, mem="256M", modern=False,
                                  kernel=self.kernel, append=append.strip() or None,
                                  disk_cache=None, disk=[])
        for slot in ("a", "b"):
            p = os.path.join(self.work, "pkg_%s.img" % slot)
            if os.path.exists(p):
                a.disk.append("%s:pkg_%s:ro" % (p, slot))
        lone = os.path.join(self.work, "pkgfs.img")
        if os.path.exists(lone):
            a.disk.append(lone + ":pkgfs:ro")
        a.disk.append(self.state + ":state")
        cmd = self.qemu.qemu_command(a)
        text, status = self.run(cmd, selftest)
        log = os.path.join(self.logdir, "%s-%s-boot%d.log" % (self.name, self.sc, self.nboot))
        os.makedirs(self.logdir, exist_ok=True)
        with open(log, "w", encoding="utf-8") as f:
            f.write("$ " + " ".join(cmd) + "\n" + text)
        lines = [l.strip() for l in text.split("\n")]
        for want in expect:
            if want.startswith("re:"):
                ok = any(re.fullmatch(want[3:], l) for l in lines)
            else:
                ok = want in lines
            if not ok:
                failures.append("%s boot %d: missing %r (log %s)" % (self.sc, self.nboot, want, log))
                print("FAIL:", failures[-1])
        for bad in forbid:
            if any(re.search(bad, l) for l in lines):
                failures.append("%s boot %d: forbidden %r appeared (log %s)" % (self.sc, self.nboot, bad, log))
                print("FAIL:", failures[-1])
        if not any(l.startswith("bootctl: health gate") for l in lines):
            failures.append("%s boot %d: no health gate verdict (log %s)" % (self.sc, self.nboot, log))
            print("FAIL:", failures[-1])
        if selftest and status != 0:
            failures.append("%s boot %d: selftest exit %s (log %s)" % (self.sc, self.nboot, status, log))
            print("FAIL:", failures[-1])
        return text

    @staticmethod
    def run(cmd, selftest):
        """Run QEMU until the health gate's verdict (or, for a selftest boot, exit)."""
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        out = []
        deadline = time.monotonic() + BOOT_TIMEOUT
        status = None
        try:
            os.set_blocking(p.stdout.fileno(), False)
            buf = b""
            while time.monotonic() < deadline:
                chunk = p.stdout.read()
                if chunk:
                    buf += chunk
                    text = buf.decode("utf-8", "replace")
                    if not selftest and re.search(r"^bootctl: health gate.*\r?$", text, re.M):
                        time.sleep(0.2)  # nothing more is written after the verdict
                        break
                if p.poll() is not None:
                    buf += p.stdout.read() or b""
                    status = p.returncode
                    break
                time.sleep(0.05)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            buf += p.stdout.read() or b""
        return buf.decode("utf-8", "replace").replace("\r\n", "\n"), status


def sc_first(r):
    r.image("a", 1)
    r.image("b", 1)
    r.boot(expect=["bootctl: no control state: first boot, slot a first",
                   "bootctl: slot=a release=1 state=trial tries=2",
                   "pkgfs: slot a serial=pkg_a release=1",
                   "bootctl: confirmed slot=a release=1 min_release=1",
                   "bootctl: health gate passed slot=a"])
    r.boot("selftest", selftest=True,
           expect=["bootctl: slot=a release=1 state=good tries=0",
                   "SELFTEST: bootctl persist ok", "bootctl: health gate passed slot=a"])


def sc_update(r):
    r.image("a", 1)
    r.image("b", 1)
    r.boot(expect=["bootctl: confirmed slot=a release=1 min_release=1"])
    r.image("b", 2)
    r.boot("boot.try=b", expect=["bootctl: set active slot=b state=trial tries=3",
                                 "bootctl: slot=b release=2 state=trial tries=2",
                                 "pkgfs: slot b serial=pkg_b release=2",
                                 "bootctl: confirmed slot=b release=2 min_release=2"])
    r.boot(expect=["bootctl: slot=b release=2 state=good tries=0",
                   "bootctl: health gate passed slot=b"])


def sc_badsig(r):
    r.image("a", 1)
    r.image("b", 1)
    r.boot(expect=["bootctl: confirmed slot=a release=1 min_release=1"])
    r.image("b", 2, flip_sig=True)
    r.boot("boot.try=b", expect=[
        "bootctl: set active slot=b state=trial tries=3",
        "pkgfs: refused image: virtio-blk serial=pkg_b: signature invalid: not signed by the configured key",
        "re:bootctl: fallback from b to a reason=verify: signature invalid.*",
        "bootctl: slot=a release=1 state=good tries=0",
        "pkgfs: slot a serial=pkg_a release=1",
        "bootctl: health gate passed slot=a"], forbid=[r"^pkgfs: slot b", r"^bootctl: slot=b"])


def sc_unconfirmed(r):
    r.image("a", 1)
    r.image("b", 1)
    r.boot(expect=["bootctl: confirmed slot=a release=1 min_release=1"])
    r.image("b", 2)
    r.boot("boot.try=b boot.health=fail",
           expect=["bootctl: slot=b release=2 state=trial tries=2",
                   "bootctl: health gate refused slot=b: boot.health=fail"])
    r.boot("boot.health=fail", expect=["bootctl: slot=b release=2 state=trial tries=1"])
    r.boot("boot.health=fail", expect=["bootctl: slot=b release=2 state=trial tries=0"])
    r.boot(expect=["bootctl: fallback from b to a reason=tries-exhausted",
                   "bootctl: slot=a release=1 state=good tries=0",
                   "pkgfs: slot a serial=pkg_a release=1",
                   "bootctl: health gate passed slot=a"], forbid=[r"^bootctl: slot=b"])
    # A typo in boot.try is reported and ignored: a keeps running as good.
    r.boot("boot.try=c", expect=["bootctl: bad boot argument boot.try=c (want a or b): ignored",
                                 "bootctl: slot=a release=1 state=good tries=0"],
           forbid=[r"^bootctl: set active"])


def sc_rollback(r):
    r.image("a", 2)
    r.image("b", 2)
    r.boot(expect=["bootctl: confirmed slot=a release=2 min_release=2"])
    r.image("b", 1)
    r.boot("boot.try=b", expect=["bootctl: rollback refused slot=b release=1 min=2",
                                 "bootctl: fallback from b to a reason=rollback",
                                 "bootctl: slot=a release=2 state=good tries=0",
                                 "bootctl: health gate passed slot=a"],
           forbid=[r"^pkgfs: slot b", r"^bootctl: slot=b"])


def sc_damaged(r):
    r.image("a", 1)
    r.image("b", 1)
    r.boot(expect=["bootctl: confirmed slot=a release=1 min_release=1"])
    r.image("b", 2)
    r.boot("boot.try=b boot.health=fail", expect=["bootctl: slot=b release=2 state=trial tries=2"])
    p = subprocess.run([r.tool, "corrupt", r.state, "control", "44"], capture_output=True, text=True)
    if p.returncode != 0:
        failures.append("damaged: bootctl-state corrupt: " + p.stderr)
    r.boot(expect=["bootctl: control state damaged (control record CRC mismatch): "
                   "booting the last confirmed slot a",
                   "bootctl: slot=a release=1 state=good tries=0",
                   "pkgfs: slot a serial=pkg_a release=1",
                   "bootctl: health gate passed slot=a"],
           forbid=[r"^bootctl: slot=b", r"^bootctl: confirmed slot=b"])
    p = subprocess.run([r.tool, "show", r.state], capture_output=True, text=True)
    if p.returncode != 0 or "last_good=a" not in p.stdout:
        failures.append("damaged: state not rebuilt: " + p.stdout)


def sc_single(r):
    # No package disk: the fixture, and bootctl leaves the state alone.
    r.boot(expect=["pkgfs: no disk with serial pkgfs, using the built-in fixture",
                   "bootctl: health gate: no verified slot this boot"],
           forbid=[r"^bootctl: slot=", r"^bootctl: confirmed"])
    # A lone pkgfs disk is slot a: tried, confirmed, then good.
    r.image("pkgfs", 4)
    r.boot(expect=["bootctl: slot=a release=4 state=trial tries=2",
                   "pkgfs: slot a serial=pkgfs release=4",
                   "bootctl: confirmed slot=a release=4 min_release=4"])
    r.boot(expect=["bootctl: slot=a release=4 state=good tries=0",
                   "bootctl: health gate passed slot=a"])
    # An older release on the single disk is refused: nothing else to boot, so
    # packagefs fails closed.
    r.image("pkgfs", 3)
    r.boot(expect=["bootctl: rollback refused slot=a release=3 min=4",
                   "pkgfs: no bootable slot: every package disk was refused",
                   "re:cairn: component packagefs failed err=-74.*",
                   "bootctl: health gate: no verified slot this boot"],
           forbid=[r"^pkgfs: slot a", r"^pkgfs: mounted"])


SCENARIOS = {"first": sc_first, "update": sc_update, "badsig": sc_badsig,
             "unconfirmed": sc_unconfirmed, "rollback": sc_rollback, "damaged": sc_damaged,
             "single": sc_single}


def main():
    if len(sys.argv) < 9:
        print(__doc__)
        return 2
    args, name, which = sys.argv[1:8], sys.argv[8], sys.argv[9:] or list(SCENARIOS)
    for sc in which:
        with tempfile.TemporaryDirectory(prefix="bootctl_" + sc + "_") as work:
            r = Rig(args, work, name)
            r.sc = sc
            before = len(failures)
            SCENARIOS[sc](r)
            print("%s %s: %d boots" % ("ok" if len(failures) == before else "FAIL", sc, r.nboot))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

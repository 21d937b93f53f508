#!/usr/bin/env python3
"""Interactive shell tests: boot the image and drive its console through the
serial line with pexpect, as a person (or a script) would.

  shell_console.py QEMU_PY KERNEL LOGDIR CASE [--qemu QEMU] [--smp N]

Cases:
  prompt     boot to `cairn> ` (4 harts, a blank state disk)
  commands   every command `help` lists runs in machine mode and ends with exactly
             one `ok` or `err <code> <name>` line; `help <command>` for each
  framed     the framed output of hw smp / hw vblk / hw mem / threads / comp / caps,
             state put/get/ls/rm/sync/stat/fsck round trip, pkg ls/cat/stat/verify
  denials    keys outside the shell's policy: err -13 EACCES, and `audit` shows them
  unknown    an unknown command: err -2 ENOENT; the shell keeps going
  paste      a 10,000-byte line pasted at once: err -7 E2BIG, then a command works;
             then a 45-line script (over twice the console ring) pasted at once:
             every line runs, in order, nothing lost
  ctrlc      Ctrl-C during a long listing: err -125 ECANCELED well before its end
  logs       log lines from another hart (boot argument shelllogtest) while a line
             is typed byte by byte: each log line arrives whole, the typed line is
             redrawn after it and runs as typed
  poweroff   `poweroff` ends the boot: QEMU exits with status 0
  reboot     `reboot` resets: QEMU (-no-reboot) exits with status 0
  nodisk     no state disk: `comp` says why statefs is down, state commands EAGAIN

The console log of each case is kept at LOGDIR/shell_<case>.log.
"""
import argparse
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import time

import pexpect

PROMPT = "cairn> "
FRAME = re.compile(rb"\n(ok|err (-?\d+) ([A-Z0-9?]+))\r*\n")


class Fail(Exception):
    """A failed check; the message says what was expected."""


def load_qemu_py(path):
    """platform/qemu-virt/qemu.py as a module, for its QEMU command line."""
    spec = importlib.util.spec_from_file_location("cairn_qemu", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


class Console:
    """One booted image on a pexpect-driven serial console."""

    def __init__(self, cmd, log_path, timeout=60):
        self.log = open(log_path, "wb")
        self.p = pexpect.spawn(cmd[0], cmd[1:], timeout=timeout)
        self.p.logfile_read = self.log
        self.p.delaybeforesend = None

    def expect(self, pattern, timeout=30):
        """Wait for pattern (bytes regex or str), or fail naming it."""
        try:
            return self.p.expect(pattern, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF) as e:
            tail = (self.p.before or b"")[-2000:].decode("utf-8", "replace")
            raise Fail(f"waited for {pattern!r}: {type(e).__name__}; last output:\n{tail}")

    def boot(self):
        """Wait for the system to be ready and the first prompt."""
        self.expect(rb"cairn: ready[^\n]*\n", timeout=120)
        self.expect(re.escape(PROMPT).encode(), timeout=30)

    def send(self, data):
        """Write raw bytes to the console."""
        self.p.send(data)

    def run(self, line, timeout=30):
        """Run one line in machine mode; returns (output lines, code, name).
        The output is everything between the echoed line and the frame."""
        self.p.send(line.encode() + b"\r")
        self.expect(FRAME, timeout=timeout)
        text = self.p.before.decode("utf-8", "replace")
        code = 0 if self.p.match.group(1) == b"ok" else int(self.p.match.group(2))
        name = "OK" if code == 0 else self.p.match.group(3).decode()
        lines = text.replace("\r", "").split("\n")
        # The first line is the echo of what was typed (after the prompt).
        return lines[1:], code, name

    def ok(self, line, timeout=30):
        """Run a line that must succeed; returns its output lines."""
        lines, code, name = self.run(line, timeout)
        if code != 0:
            raise Fail(f"{line!r}: err {code} {name}; output: {lines}")
        return lines

    def err(self, line, want, timeout=30):
        """Run a line that must fail with the error name want."""
        lines, code, name = self.run(line, timeout)
        if name != want:
            raise Fail(f"{line!r}: got {name} ({code}), expected {want}; output: {lines}")
        return lines

    def machine(self):
        """Switch machine mode on and wait for its frame."""
        self.p.send(b"machine on\r")
        self.expect(FRAME)

    def close(self):
        """Quit QEMU (Ctrl-A X) and wait for it."""
        try:
            self.p.send(b"\x01x")
            self.p.expect(pexpect.EOF, timeout=10)
        except (pexpect.TIMEOUT, pexpect.EOF, OSError):
            pass
        self.p.close(force=True)
        self.log.close()


def check(cond, what):
    """Fail with what unless cond."""
    if not cond:
        raise Fail(what)


def case_prompt(c):
    """The first prompt is there and an empty line gives another."""
    c.send(b"\r")
    c.expect(re.escape(PROMPT).encode())


def help_commands(c):
    """The command names `help` lists."""
    lines = c.ok("help")
    names = []
    for line in lines:
        m = re.match(r"  (\S+)\s", line)
        if m:
            names.append(m.group(1))
    check(len(names) >= 10, f"help lists too few commands: {lines}")
    return names


# Every command and subcommand, the result it must end with, and a line its
# output must contain (regex; None: anything).
EVERY = [
    ("help", "OK", r"^  machine "),
    ("version", "OK", r"^cairn \d+\.\d+\.\d+$"),
    ("uptime", "OK", r"^uptime: \d+\.\d{3} s$"),
    ("hw smp", "OK", r"^hart 3 hartid=\d+ state=(idle|busy) ticks=\d+$"),
    ("hw mem", "OK", r"^hw: mem pages total=\d+ used=\d+ free=\d+ page=4096$"),
    ("hw mem", "OK", r"^hw: heap reserved=\d+ arena=\d+ used=\d+ free=\d+$"),
    ("hw vblk", "OK", r"^  sectors=32768 block=512 ro=0 owner=statefs transport=virtio-mmio-legacy"
                      r"@0x[0-9a-f]+ irq=\d+ crc32c0=[0-9a-f]{8}$"),
    ("threads", "OK", r"^\s+\d+ shell\s+shell\s+shell\s+X\s+\d+ \d+/16384$"),
    ("comp", "OK", r"^comp shell\s+state=up restarts=0 faults=0$"),
    ("comp restart statefs", "OK", r"^comp: statefs restarted$"),
    ("comp restart shell", "EBUSY", r"cannot restart itself"),
    ("comp restart virtio_blk", "ENOTSUP", r"restart of virtio_blk: ENOTSUP"),
    ("comp", "OK", r"^comp statefs\s+state=up restarts=1 faults=0$"),
    ("caps", "OK", r"^grant shell -> statefs, keystore, bootctl, packagefs$"),
    ("caps", "OK", r"^privilege shell restart$"),
    ("audit 5", "OK", r"^audit: records=\d+ kept=\d+$"),
    ("state put /state/shell/k v1", "OK", r"^state: put 2 bytes"),
    ("state get /state/shell/k", "OK", r"^value: v1$"),
    ("state ls", "OK", r"^key /state/shell/k$"),
    ("state sync", "OK", r"^state: synced$"),
    ("state rm /state/shell/k", "OK", None),
    ("state get /state/shell/k", "ENOENT", r"ENOENT"),
    ("state stat", "OK", r"^state: keys=\d+ live_bytes=\d+ region_bytes=\d+ tail=\d+ "
                         r"compactions=\d+ written=\d+ ro=0$"),
    ("state stat", "OK", r"^state: replay region=A generation=\d+ records=\d+ stop=\S+ "
                         r"clean=1 formatted=[01] discarded=0 mount_us=\d+$"),
    ("state fsck", "OK", r"^state: fsck records=\d+ keys=\d+ supers=2/2 stop=\S+ "
                         r"problem=none \(clean\)$"),
    ("pkg ls", "OK", r"^d0755 +\d+ bin$"),
    ("pkg stat pkg:/bin/hello", "OK", r"^pkg: sha256=[0-9a-f]{64}$"),
    ("pkg cat pkg:/VERSION", "OK", None),
    ("pkg verify", "OK", r"^pkg: verified files=\d+ bad=0$"),
    ("key pub", "OK", r"^key: device pub=[0-9a-f]{64}$"),
    ("key sign hello", "OK", r"^key: sig=[0-9a-f]{128}$"),
    ("boot status", "OK", r"^boot: current=\S+ verified=[01] release=\d+ trial=[01] "
                          r"confirmed=[01] writable=1 load=\S+$"),
    ("boot status", "OK", r"^boot: slot b priority=\d+ tries=\d+ successful=[01] "
                          r"reason=\S+ release=\d+$"),
    ("boot set-active c", "EINVAL", r"the slot is a or b"),
    ("boot set-active b", "OK", r"^boot: slot b gets a trial from the next boot on$"),
    ("boot status", "OK", r"^boot: slot b priority=15 tries=3 "),
    ("boot confirm", "EAGAIN", r"boot confirm: EAGAIN"),  # no slot disk: nothing verified
    ("machine", "OK", r"^machine: on$"),
]


def expect_run(c, line, want, pattern):
    """Run line; check its frame and that one output line matches pattern."""
    lines, code, name = c.run(line)
    check(name == want, f"{line!r}: got err {code} {name}, expected {want}; output: {lines}")
    if pattern:
        check(any(re.search(pattern, l) for l in lines),
              f"{line!r}: no output line matches {pattern!r}: {lines}")
    return lines


def case_commands(c):
    """Every command and subcommand runs framed with its expected result, and
    every command `help` lists has a help page."""
    c.machine()
    names = help_commands(c)
    for name in names:
        lines = c.ok(f"help {name}")
        check(any(line.startswith("usage: ") for line in lines), f"help {name}: {lines}")
    ran = {line.split()[0] for line, _, _ in EVERY} | {"reboot", "poweroff"}
    check(set(names) <= ran, f"commands without a test: {sorted(set(names) - ran)}")
    for line, want, pattern in EVERY:
        expect_run(c, line, want, pattern)
    lines = expect_run(c, "hw smp", "OK", r"^hw: smp online=4$")
    check(lines[0] == "hw: smp online=4", f"hw smp's first line: {lines}")


def case_denials(c):
    """Keys outside the shell's prefixes are refused and audited like any other
    caller's: `audit` shows them, counted."""
    c.machine()
    expect_run(c, "state get /state/boot/slot", "EACCES", r"EACCES")
    expect_run(c, "state put /state/statefs/boot_count x", "EACCES", r"EACCES")
    expect_run(c, "state get /state/boot/slot", "EACCES", r"EACCES")
    expect_run(c, "state ls /state/keystore/", "EACCES", r"EACCES")
    lines = c.ok("audit 20")
    check(any(re.search(r"statefs-denied caller=shell callee=statefs op=get "
                        r"subject=/state/boot/slot$", l) for l in lines), f"audit: {lines}")
    check(any(re.search(r"^count 2 statefs-denied caller=shell callee=statefs op=get$", l)
              for l in lines), f"audit counts: {lines}")


def case_unknown(c):
    """An unknown command is ENOENT and the shell carries on."""
    c.machine()
    lines = c.err("frobnicate", "ENOENT")
    check(any("unknown command 'frobnicate'" in l for l in lines), f"message: {lines}")
    c.ok("version")


def case_paste(c):
    """A 10,000-byte line pasted in one write is refused whole; then all is well."""
    c.machine()
    c.send(b"state put /state/shell/p " + b"x" * 9975 + b"\r")
    c.expect(rb"line too long: \d+ bytes over the limit of 256", timeout=60)
    c.expect(rb"\nerr -7 E2BIG\r*\n", timeout=60)
    lines, code, _ = c.run("state get /state/shell/p")
    check(code != 0, f"the pasted line must not have run: {lines}")
    c.ok("version")
    # A pasted script twice the console ring's size: every line runs, in order.
    script = b"".join(b"state put /state/shell/s%02d value-%02d-%s\r" % (i, i, b"x" * 20)
                      for i in range(SCRIPT_LINES))
    check(len(script) > 2 * 1024, f"script of {len(script)} bytes is not over the ring")
    c.send(script)
    for i in range(SCRIPT_LINES):
        c.expect(FRAME, timeout=60)
        check(c.p.match.group(1) == b"ok", f"script line {i}: {c.p.match.group(0)!r}")
    lines = c.ok("state ls")
    keys = [l for l in lines if l.startswith("key /state/shell/s")]
    check(keys == [f"key /state/shell/s{i:02d}" for i in range(SCRIPT_LINES)],
          f"keys after the pasted script: {keys}")
    lines = c.ok(f"state get /state/shell/s{SCRIPT_LINES - 1:02d}")
    check(f"value: value-{SCRIPT_LINES - 1:02d}-" + "x" * 20 in lines, f"last value: {lines}")


SCRIPT_LINES = 45


def case_ctrlc(c):
    """Ctrl-C while `pkg cat` lists a big file stops it between lines: framed
    ECANCELED long before the end, and the shell carries on."""
    c.machine()
    c.send(b"pkg cat pkg:/data/big\r")
    c.expect(rb"big line 000200 ", timeout=60)
    c.send(b"\x03")
    c.expect(rb"pkg cat: interrupted at byte (\d+)", timeout=60)
    at = int(c.p.match.group(1))
    c.expect(rb"\nerr -125 ECANCELED\r*\n", timeout=30)
    check(at < BIG_SIZE, f"interrupted at byte {at} of {BIG_SIZE}: not before the end")
    c.ok("version")


def case_logs(c):
    """Type a line byte by byte while another thread prints a log line every
    20 ms (boot word shelllogtest): every log line arrives whole on its own line,
    the partial line is redrawn after it, and the line runs as typed."""
    c.machine()
    typed = "state put /state/shell/typed hello-world-0123456789"
    for ch in typed:
        c.send(ch.encode())
        time.sleep(0.03)
    c.send(b"\r")
    c.expect(FRAME)
    check(c.p.match.group(1) == b"ok", f"typed line: {c.p.match.group(0)!r}")
    lines = c.ok("state get /state/shell/typed")
    check("value: hello-world-0123456789" in lines, f"value: {lines}")
    c.log.flush()
    raw = open(c.log.name, "rb").read()
    raw = raw[:raw.index(b"state get")]  # up to the next command, however it was drawn
    # After each log line: erase was before it, the prompt and a prefix of the
    # typed text are redrawn after it.
    seen = re.findall(rb"\r\x1b\[Kshell: logtest n=\d+\r*\n\rcairn> ([^\r\x1b]*)\x1b\[K", raw)
    check(len(seen) >= 10, f"only {len(seen)} log lines arrived while typing")
    wrong = [p for p in seen if not typed.encode().startswith(p)]
    check(not wrong, f"a redraw was not a prefix of the typed line: {wrong[:3]}")
    check(any(len(p) > 10 for p in seen), "no redraw carried the partial line")
    torn = re.findall(rb".{0,20}(?<!\x1b\[K)(?<!\n)shell: logtest", raw)
    check(not torn, f"a log line started mid-row: {torn[:3]}")


def case_poweroff(c):
    """poweroff ends the boot: QEMU exits with status 0."""
    c.send(b"poweroff\r")
    c.expect(rb"shell: powering off")
    c.p.expect(pexpect.EOF, timeout=30)
    c.p.close()
    check(c.p.exitstatus == 0, f"QEMU exit status {c.p.exitstatus}")


def case_reboot(c):
    """reboot resets the machine: with QEMU's -no-reboot it exits (status 0)."""
    c.send(b"reboot\r")
    c.expect(rb"shell: rebooting")
    c.p.expect(pexpect.EOF, timeout=30)
    c.p.close()
    check(c.p.exitstatus == 0, f"QEMU exit status {c.p.exitstatus}")


def case_nodisk(c):
    """Without a state disk statefs is down: `comp` says why, state commands
    fail EAGAIN (statefs not up), the rest works."""
    c.machine()
    expect_run(c, "comp", "OK", r"^comp statefs\s+state=failed restarts=0 faults=0 "
                                r"why=failed \(ENOENT\)$")
    expect_run(c, "state ls", "EAGAIN", r"EAGAIN")
    expect_run(c, "hw vblk", "OK", r"^hw: vblk disks=0$")
    expect_run(c, "pkg verify", "OK", r"^pkg: verified files=3 bad=0$")


BIG_LINES = 20000
BIG_SIZE = BIG_LINES * 40


def make_pkg(tool, key, work):
    """A package image with pkg:/data/big (BIG_LINES lines of 40 bytes)."""
    tree = os.path.join(work, "tree")
    os.makedirs(os.path.join(tree, "data"))
    os.makedirs(os.path.join(tree, "bin"))
    with open(os.path.join(tree, "data", "big"), "wb") as f:
        for i in range(BIG_LINES):
            f.write(b"big line %06d %s\n" % (i, b"." * 23))
    with open(os.path.join(tree, "bin", "hello"), "wb") as f:
        f.write(b"hello\n")
    with open(os.path.join(tree, "VERSION"), "wb") as f:
        f.write(b"shell-test\n")
    img = os.path.join(work, "pkg.img")
    subprocess.run([tool, "build", tree, img, "--key", key], check=True,
                   stdout=subprocess.DEVNULL)
    return img


CASES = {"prompt": case_prompt, "commands": case_commands, "unknown": case_unknown,
         "paste": case_paste, "denials": case_denials, "ctrlc": case_ctrlc,
         "logs": case_logs, "poweroff": case_poweroff, "reboot": case_reboot,
         "nodisk": case_nodisk}


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("qemu_py")
    ap.add_argument("kernel")
    ap.add_argument("logdir")
    ap.add_argument("case", choices=sorted(CASES))
    ap.add_argument("--qemu", default="qemu-system-riscv64")
    ap.add_argument("--smp", type=int, default=4)
    ap.add_argument("--append", default="")
    ap.add_argument("--mkpkgfs", help="attach a package disk built with this tool")
    ap.add_argument("--pkgkey", help="the build-time signing key for --mkpkgfs")
    ap.add_argument("--mkdevsecret", help="attach a device root secret made with this tool, "
                    "and a virtio-rng device (keystore then creates the device key)")
    a = ap.parse_args()
    qemu = load_qemu_py(a.qemu_py)
    os.makedirs(a.logdir, exist_ok=True)
    log = os.path.join(a.logdir, f"shell_{a.case}.log")
    with tempfile.TemporaryDirectory() as work:
        state = os.path.join(work, "state.img")
        with open(state, "wb") as f:
            f.truncate(16 << 20)
        disks = [] if a.case == "nodisk" else [f"{state}:state"]
        if a.mkpkgfs:
            disks.append(make_pkg(a.mkpkgfs, a.pkgkey, work) + ":pkgfs:ro")
        if a.mkdevsecret:
            secret = os.path.join(work, "devsecret.img")
            subprocess.run([a.mkdevsecret, secret], check=True, stdout=subprocess.DEVNULL)
            disks.append(f"{secret}:devsecret:ro")
        opts = argparse.Namespace(qemu=a.qemu, kernel=a.kernel, smp=a.smp, mem="256M",
                                  modern=False, append=a.append, disk=disks, disk_cache=None,
                                  rng=bool(a.mkdevsecret))
        c = Console(qemu.qemu_command(opts), log)
        try:
            c.boot()
            CASES[a.case](c)
        except Fail as e:
            print(f"FAIL: shell {a.case}: {e}\nlog: {log}")
            return 1
        finally:
            if c.p.isalive():
                c.close()
    print(f"ok: shell {a.case}, log {log}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

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
  denials    keys outside the shell's policy: err -13 EACCES, and `audit` shows it
  unknown    an unknown command: err -2 ENOENT; the shell keeps going
  paste      a 10,000-byte line pasted at once: err -7 E2BIG, then a command works
  ctrlc      Ctrl-C during a long listing: err -125 ECANCELED well before its end
  logs       log lines from another hart (boot argument shelllogtest) while a line
             is typed byte by byte: each log line arrives whole, the typed line is
             redrawn after it and runs as typed

The console log of each case is kept at LOGDIR/shell_<case>.log.
"""
import argparse
import importlib.util
import os
import re
import sys
import tempfile
import time

import pexpect

PROMPT = "cairn> "
FRAME = re.compile(rb"\r\n(ok|err (-?\d+) ([A-Z0-9?]+))\r\n")


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
        self.expect(rb"cairn: ready[^\r\n]*\r\n", timeout=120)
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


# Arguments that make each listed command run harmlessly; commands of components
# not in the image must say so (ENOSYS).
SAFE_ARGS = {
    "comp": "", "state": "ls /state/shell/", "pkg": "ls pkg:/", "key": "pub",
    "boot": "status", "audit": "5", "machine": "on", "help": "help",
}
SKIP = {"reboot", "poweroff"}  # they end the boot; checked by their own prompts


def case_commands(c):
    """Every command runs framed, and every command has a help page."""
    c.machine()
    for name in help_commands(c):
        lines = c.ok(f"help {name}")
        check(any(line.startswith("usage: ") for line in lines), f"help {name}: {lines}")
        if name in SKIP:
            continue
        lines, code, err = c.run((name + " " + SAFE_ARGS.get(name, "")).strip())
        if code != 0:
            check(err == "ENOSYS" and any("not in this image" in l for l in lines),
                  f"{name}: err {code} {err}: {lines}")


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
    c.expect(rb"\r\nerr -7 E2BIG\r\n", timeout=60)
    lines, code, _ = c.run("state get /state/shell/p")
    check(code != 0, f"the pasted line must not have run: {lines}")
    c.ok("version")


CASES = {"prompt": case_prompt, "commands": case_commands, "unknown": case_unknown,
         "paste": case_paste}


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
    a = ap.parse_args()
    qemu = load_qemu_py(a.qemu_py)
    os.makedirs(a.logdir, exist_ok=True)
    log = os.path.join(a.logdir, f"shell_{a.case}.log")
    with tempfile.TemporaryDirectory() as work:
        state = os.path.join(work, "state.img")
        with open(state, "wb") as f:
            f.truncate(16 << 20)
        opts = argparse.Namespace(qemu=a.qemu, kernel=a.kernel, smp=a.smp, mem="256M",
                                  modern=False, append=a.append,
                                  disk=[f"{state}:state"], disk_cache=None)
        c = Console(qemu.qemu_command(opts), log)
        try:
            c.boot()
            CASES[a.case](c)
        except Fail as e:
            print(f"FAIL: shell {a.case}: {e}\nlog: {log}")
            return 1
        finally:
            c.close()
    print(f"ok: shell {a.case}, log {log}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

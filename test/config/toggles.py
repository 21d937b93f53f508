#!/usr/bin/env python3
"""Feature-toggle combinations: configure, build and boot each.

  toggles.py --source DIR --work DIR --qemu QEMU --combo NAME [--combo NAME]...

Each combination is a separate build directory under --work, configured with the
project's cross file and the combination's -D options, built (the image only)
and booted in QEMU without disks. It passes when the image reaches
`cairn: ready`, every component the combination enables reports
`cairn: component <name> up` (components that need a disk get a blank one), and
no component it disables appears at all. The `bad` combinations must instead fail at configure time with
a message naming both components.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys

COMPONENTS = ["virtio_blk", "crypto", "statefs", "bootctl", "packagefs", "selftest", "faulttest", "shell"]

# name: (options set to true; everything else in COMPONENTS is false)
COMBOS = {
    "all": ["virtio_blk", "crypto", "statefs", "bootctl", "packagefs", "selftest", "faulttest",
            "shell"],
    # packagefs without bootctl: the single-disk behaviour (no slots), fixture here
    "no_bootctl": ["virtio_blk", "crypto", "statefs", "packagefs", "selftest", "faulttest"],
    "minimal": [],
    "storage": ["virtio_blk", "crypto", "statefs"],  # storage without packagefs
    "shell_alone": ["shell"],  # the shell without statefs and packagefs
}
# name: (options true, options false, regex the configure error must match)
BAD = {
    "bootctl_without_statefs": (["bootctl", "virtio_blk", "crypto"], ["statefs"],
                                r"bootctl is granted statefs, which is disabled \(option statefs=false\)"),
    "statefs_without_virtio_blk": (["statefs", "crypto"], ["virtio_blk"],
                                   r"statefs needs virtio_blk, which is disabled \(option virtio_blk=false\)"),
}
# Components that need a disk: the boot attaches a blank one with this serial.
DISKS = {"statefs": "state"}
# Extra markers a combination's boot must show (no package disk is attached).
EXPECT = {
    "all": ["pkgfs: no disk with serial pkgfs, using the built-in fixture",
            "bootctl: control state blank (boot_tries=3)",
            "bootctl: health gate: no verified slot this boot"],
    "no_bootctl": ["pkgfs: no disk with serial pkgfs, using the built-in fixture"],
}


def run(cmd, log, **kw):
    """Run cmd appending its output to log; returns the CompletedProcess."""
    with open(log, "a", encoding="utf-8") as f:
        f.write("$ " + " ".join(cmd) + "\n")
        f.flush()
        p = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, text=True, **kw)
        f.write(f"[exit {p.returncode}]\n")
    return p


def options(on, off):
    """-D arguments: on ones true, off ones false, sanitizers off (image only)."""
    return [f"-D{c}=true" for c in on] + [f"-D{c}=false" for c in off] + ["-Dhost_sanitize=false"]


def setup(a, name, on, off, log):
    """Configure a fresh build directory for one combination."""
    bdir = os.path.join(a.work, name)
    shutil.rmtree(bdir, ignore_errors=True)
    cross = os.path.join(a.source, "platform/qemu-virt/cross.ini")
    p = run(["meson", "setup", bdir, a.source, "--cross-file", cross] + options(on, off), log)
    return bdir, p.returncode


def check_combo(a, name):
    """Configure, build and boot one good combination; returns error strings."""
    on = COMBOS[name]
    off = [c for c in COMPONENTS if c not in on]
    log = os.path.join(a.work, name + ".log")
    open(log, "w").close()
    bdir, rc = setup(a, name, on, off, log)
    if rc:
        return [f"{name}: configure failed (see {log})"]
    if run(["meson", "compile", "-C", bdir, "src/cairn.elf"], log).returncode:
        return [f"{name}: build failed (see {log})"]
    boot_log = os.path.join(a.work, name + ".boot.log")
    cmd = [sys.executable, os.path.join(a.source, "platform/qemu-virt/qemu.py"), "test",
           "--qemu", a.qemu, "--kernel", os.path.join(bdir, "src", "cairn.elf"), "--smp", "2",
           "--timeout", "60", "--append", "quit", "--log", boot_log, "--expect-match", r"cairn: ready .*",
           "--forbid", "PANIC|TRAP"]
    for c in on:
        if c in DISKS:
            disk = os.path.join(a.work, f"{name}.{DISKS[c]}.img")
            with open(disk, "wb") as f:
                f.truncate(8 << 20)
            cmd += ["--disk", f"{disk}:{DISKS[c]}"]
        cmd += ["--expect", f"cairn: component {c} up"]
    for c in off:
        cmd += ["--forbid", f"cairn: component {c} "]
    for line in EXPECT.get(name, []):
        cmd += ["--expect", line]
    if "bootctl" in off:
        cmd += ["--forbid", "^bootctl: "]
    if run(cmd, log).returncode:
        return [f"{name}: boot did not match (see {boot_log} and {log})"]
    err = check_run_mode(a, name, bdir, "shell" in on, [c for c in off if c != "shell"])
    if err:
        return [f"{name}: run mode: {err} (see {os.path.join(a.work, name + '.run.log')})"]
    print(f"toggles: {name} ok ({' '.join(on) or 'kernel only'})")
    return []


def check_run_mode(a, name, bdir, shell, off):
    """Boot without `quit` on a pexpect console: the prompt with the shell (and
    a disabled component's command says so), `cairn: idle` without it."""
    import pexpect  # python3-pexpect, needed only here
    cmd = [a.qemu, "-M", "virt", "-smp", "2", "-m", "256M", "-nographic", "-bios",
           "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin", "-kernel",
           os.path.join(bdir, "src", "cairn.elf"), "-no-reboot"]
    with open(os.path.join(a.work, name + ".run.log"), "wb") as logf:
        p = pexpect.spawn(cmd[0], cmd[1:], timeout=90, logfile=logf)
        try:
            if not shell:
                p.expect(rb"cairn: idle \(quit QEMU with Ctrl-A X\)")
                if p.expect([rb"cairn> ", pexpect.TIMEOUT], timeout=3) == 0:
                    return "a prompt without the shell"
                return None
            p.expect(rb"cairn: ready")
            p.expect(rb"cairn> ")
            for comp, line in (("statefs", b"state ls"), ("packagefs", b"pkg ls")):
                if comp in off:
                    p.send(line + b"\r")
                    p.expect(rb"not in this image \(component " + comp.encode())
            p.send(b"version\r")
            p.expect(rb"cairn \d+\.\d+\.\d+")
            return None
        except (pexpect.TIMEOUT, pexpect.EOF) as e:
            return f"{type(e).__name__} waiting for {'the prompt' if shell else 'idle'}"
        finally:
            p.close(force=True)


def check_bad(a, name):
    """A forbidden combination must fail configure with its message."""
    on, off, want = BAD[name]
    log = os.path.join(a.work, name + ".log")
    open(log, "w").close()
    _, rc = setup(a, name, on, off, log)
    with open(log, encoding="utf-8") as f:
        text = f.read()
    if rc == 0:
        return [f"{name}: configure succeeded but must fail"]
    if not re.search(want, text):
        return [f"{name}: configure failed without the expected message /{want}/ (see {log})"]
    shutil.rmtree(os.path.join(a.work, name), ignore_errors=True)
    print(f"toggles: {name} refused at configure time, as it must be")
    return []


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--source", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--qemu", required=True)
    p.add_argument("--combo", action="append", required=True, choices=list(COMBOS) + list(BAD))
    a = p.parse_args()
    os.makedirs(a.work, exist_ok=True)
    errors = []
    for name in a.combo:
        errors += check_bad(a, name) if name in BAD else check_combo(a, name)
    for e in errors:
        print("toggles: FAIL " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

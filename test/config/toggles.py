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

`new_component` proves docs/component-model.md's worked example: a copy of the
source tree gets exactly the three edits the doc shows (the `hello` folder with
the files quoted there, its table line, its option; the code is taken from the
doc itself, so the two cannot drift), is configured, built and booted, and must
bring `hello` up; the same copy without the folder must fail at configure time.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import textwrap

COMPONENTS = ["virtio_blk", "virtio_rng", "crypto", "statefs", "bootctl", "packagefs", "keystore",
              "selftest", "faulttest", "shell"]

# name: (options set to true; everything else in COMPONENTS is false)
COMBOS = {
    "all": ["virtio_blk", "virtio_rng", "crypto", "statefs", "bootctl", "packagefs", "keystore",
            "selftest", "faulttest", "shell"],
    # packagefs without bootctl: the single-disk behaviour (no slots), fixture here
    "no_bootctl": ["virtio_blk", "crypto", "statefs", "packagefs", "selftest", "faulttest"],
    "minimal": [],
    "storage": ["virtio_blk", "crypto", "statefs"],  # no packagefs, keystore or virtio_rng
    # keystore without an entropy driver: the first boot cannot make the device key
    "keystore_without_rng": ["virtio_blk", "crypto", "statefs", "keystore"],
    "shell_alone": ["shell"],  # the shell without statefs and packagefs
}
# Components a combination must see fail (closed), with the line that says so.
FAILS = {
    "keystore_without_rng": {"keystore": "cairn: component keystore failed err=-19 (ENODEV)"},
}
# name: (options true, options false, regex the configure error must match)
BAD = {
    "bootctl_without_statefs": (["bootctl", "virtio_blk", "crypto"], ["statefs"],
                                r"bootctl is granted statefs, which is disabled \(option statefs=false\)"),
    "statefs_without_virtio_blk": (["statefs", "crypto"], ["virtio_blk"],
                                   r"statefs needs virtio_blk, which is disabled \(option virtio_blk=false\)"),
    "keystore_without_statefs": (["virtio_blk", "crypto", "keystore"], ["statefs"],
                                 r"keystore needs statefs, which is disabled \(option statefs=false\)"),
}
# Components that need a disk: the boot attaches a blank one with this serial;
# keystore's is a valid device root secret (docs/keystore.md), made here.
DISKS = {"statefs": "state", "keystore": "devsecret"}
# Extra markers a combination's boot must show (no package disk is attached).
EXPECT = {
    "all": ["pkgfs: no disk with serial pkgfs, using the built-in fixture",
            "bootctl: control state blank (boot_tries=3)",
            "bootctl: health gate: no verified slot this boot"],
    "no_bootctl": ["pkgfs: no disk with serial pkgfs, using the built-in fixture"],
}


def crc32c(data):
    """CRC32-C, bitwise."""
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def write_disk(path, serial):
    """A blank 8 MiB disk, or for devsecret a 4096-byte root secret image."""
    with open(path, "wb") as f:
        if serial != "devsecret":
            f.truncate(8 << 20)
            return
        head = b"CAIRNHUK" + (1).to_bytes(4, "little") + bytes(4) + os.urandom(32)
        f.write((head + crc32c(head).to_bytes(4, "little")).ljust(4096, b"\0"))


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
            write_disk(disk, DISKS[c])
            cmd += ["--disk", f"{disk}:{DISKS[c]}" + (":ro" if DISKS[c] == "devsecret" else "")]
        fail = FAILS.get(name, {}).get(c)
        cmd += ["--expect", fail or f"cairn: component {c} up"]
    if "virtio_rng" in on:
        cmd += ["--rng"]
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


NEW = "new_component"
HELLO_FILES = ["components/hello/include/hello.h", "components/hello/hello.c",
               "components/hello/meson.build"]
HELLO_NO_FOLDER = (r"component hello is enabled in components/capabilities.txt but has no "
                   r"folder: add components/hello/meson.build defining hello_image_lib, or "
                   r"configure with -Dhello=false")


def doc_blocks(source):
    """The worked example's code blocks from docs/component-model.md, keyed by
    the file they belong to: the first of HELLO_FILES, the table or the options
    file named (in backticks) between the previous block and this one."""
    with open(os.path.join(source, "docs", "component-model.md"), encoding="utf-8") as f:
        text = f.read()
    start = text.index("## How to add a component")
    end = text.find("\n## ", start + 1)
    text = text[start:end if end >= 0 else len(text)]
    targets = HELLO_FILES + ["components/capabilities.txt", "meson_options.txt"]
    blocks, prev = {}, 0
    for m in re.finditer(r"\n([ \t]*)```[a-z]*\n(.*?)\n[ \t]*```", text, re.S):
        before = text[prev:m.start()]
        named = [t for t in targets if f"`{t}`" in before]
        named.sort(key=lambda t: before.index(f"`{t}`"))
        if named and named[0] not in blocks:
            blocks[named[0]] = textwrap.dedent(m.group(2)) + "\n"
        prev = m.end()
    missing = [t for t in targets if t not in blocks]
    if missing:
        raise RuntimeError("no code block for " + ", ".join(missing))
    return blocks


def copy_tree(source, dest):
    """A copy of the source tree without build directories or git metadata."""
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(source, dest, ignore=shutil.ignore_patterns("build*", ".git", "__pycache__"))


def check_new_component(a):
    """The worked example builds and boots; without its folder it is refused."""
    log = os.path.join(a.work, NEW + ".log")
    open(log, "w").close()
    tree = os.path.join(a.work, NEW + "-src")
    copy_tree(a.source, tree)
    try:
        blocks = doc_blocks(a.source)
        for rel in HELLO_FILES:
            os.makedirs(os.path.dirname(os.path.join(tree, rel)), exist_ok=True)
            with open(os.path.join(tree, rel), "w", encoding="utf-8") as f:
                f.write(blocks[rel])
        with open(os.path.join(tree, "components/capabilities.txt"), "a", encoding="utf-8") as f:
            f.write(blocks["components/capabilities.txt"])
        with open(os.path.join(tree, "meson_options.txt"), "a", encoding="utf-8") as f:
            f.write(blocks["meson_options.txt"])
    except (KeyError, RuntimeError, ValueError) as e:
        return [f"{NEW}: docs/component-model.md's worked example is incomplete ({e})"]
    bdir = os.path.join(a.work, NEW)
    shutil.rmtree(bdir, ignore_errors=True)
    cross = os.path.join(tree, "platform/qemu-virt/cross.ini")
    if run(["meson", "setup", bdir, tree, "--cross-file", cross, "-Dhost_sanitize=false"], log).returncode:
        return [f"{NEW}: configure failed (see {log})"]
    if run(["meson", "compile", "-C", bdir, "src/cairn.elf"], log).returncode:
        return [f"{NEW}: build failed (see {log})"]
    boot_log = os.path.join(a.work, NEW + ".boot.log")
    cmd = [sys.executable, os.path.join(tree, "platform/qemu-virt/qemu.py"), "test",
           "--qemu", a.qemu, "--kernel", os.path.join(bdir, "src", "cairn.elf"), "--smp", "2",
           "--timeout", "60", "--append", "quit", "--log", boot_log,
           "--expect", "cairn: component hello up", "--expect", "hello: greetings from a component",
           "--forbid", "PANIC|TRAP"]
    if run(cmd, log).returncode:
        return [f"{NEW}: boot did not bring hello up (see {boot_log})"]
    shutil.rmtree(os.path.join(tree, "components/hello"))
    shutil.rmtree(bdir, ignore_errors=True)
    before = os.path.getsize(log)
    if run(["meson", "setup", bdir, tree, "--cross-file", cross, "-Dhost_sanitize=false"], log).returncode == 0:
        return [f"{NEW}: configure without the folder succeeded but must fail"]
    with open(log, encoding="utf-8") as f:
        f.seek(before)
        if not re.search(HELLO_NO_FOLDER, f.read()):
            return [f"{NEW}: configure failed without the expected message (see {log})"]
    shutil.rmtree(bdir, ignore_errors=True)
    shutil.rmtree(tree, ignore_errors=True)
    print(f"toggles: {NEW} ok (folder + table line + option: hello up; no folder: refused)")
    return []


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--source", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--qemu", required=True)
    p.add_argument("--combo", action="append", required=True, choices=list(COMBOS) + list(BAD) + [NEW])
    a = p.parse_args()
    os.makedirs(a.work, exist_ok=True)
    errors = []
    for name in a.combo:
        if name == NEW:
            errors += check_new_component(a)
        else:
            errors += check_bad(a, name) if name in BAD else check_combo(a, name)
    for e in errors:
        print("toggles: FAIL " + e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())

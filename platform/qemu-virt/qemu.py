#!/usr/bin/env python3
"""Boot the Cairn image in QEMU virt.

  qemu.py run  --kernel ELF [--smp N] [--modern] [--disk FILE[:SERIAL[:ro[:BS]]]]...
               [--disk-cache MODE] [--rng] [--logdisk DATA:LOG[:SERIAL[:append]]]...
      interactive: the console is this terminal; quit with Ctrl-A X.
  qemu.py test --kernel ELF --log LOG [--expect LINE]... [--expect-count RE=N]...
               [--exit N] [--timeout S] [--append ARGS] [--break-dtb WHAT] ...
      captured: passes only when QEMU exits with the expected status (default 0)
      and every expected marker line appeared, in any order. The UART log is kept
      at LOG as the test artifact. --check-timeline also checks the boot
      timeline line (timeline.py).
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

OPENSBI = "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"


def qemu_command(a, dtb=None):
    """The qemu-system-riscv64 argument list for options a."""
    cmd = [a.qemu, "-M", "virt", "-smp", str(a.smp), "-m", a.mem, "-nographic",
           "-bios", OPENSBI, "-kernel", a.kernel, "-no-reboot"]
    if a.modern:
        cmd += ["-global", "virtio-mmio.force-legacy=false"]
    if a.append:
        cmd += ["-append", a.append]
    if dtb:
        cmd += ["-dtb", dtb]
    for i, spec in enumerate(a.disk or []):
        parts = spec.split(":")
        path, serial = parts[0], parts[1] if len(parts) > 1 else f"disk{i}"
        ro = len(parts) > 2 and parts[2] == "ro"
        bs = parts[3] if len(parts) > 3 and parts[3] else None
        drive = f"file={path},if=none,format=raw,id=d{i}" + (",readonly=on" if ro else "")
        if a.disk_cache:
            drive += f",cache={a.disk_cache}"
        dev = f"virtio-blk-device,drive=d{i},serial={serial}"
        if bs:
            dev += f",logical_block_size={bs},physical_block_size={bs}"
        cmd += ["-drive", drive, "-device", dev]
    for i, spec in enumerate(getattr(a, "logdisk", None) or []):
        cmd += logdisk_args(spec, i, a.disk_cache)
    if getattr(a, "rng", False):  # callers building their own namespace may omit it
        cmd += ["-device", "virtio-rng-device"]
    return cmd


def logdisk_args(spec, i, cache=None):
    """-blockdev/-device arguments for a disk whose every write and flush QEMU's
    blklogwrites driver logs (dm-log-writes format, docs/crash-testing.md).
    spec is DATA:LOG[:SERIAL[:append]]; with append the log is continued (its
    sector size is then read from it), otherwise it starts over at 512-byte log
    sectors. The superblock is rewritten after every entry so a killed QEMU
    leaves a log whose entry count is current."""
    parts = spec.split(":")
    if len(parts) < 2:
        sys.exit(f"qemu.py: --logdisk {spec}: want DATA:LOG[:SERIAL[:append]]")
    data, log = parts[0], parts[1]
    serial = parts[2] if len(parts) > 2 and parts[2] else "state"
    append = len(parts) > 3 and parts[3] == "append"
    cache_opt = ""
    if cache:
        cache_opt = {"none": ",cache.direct=on", "writeback": "",
                     "unsafe": ",cache.no-flush=on"}.get(cache, "")
    dn, ln, wn = f"ld{i}", f"ll{i}", f"lw{i}"
    logw = f"driver=blklogwrites,file={dn},log={ln},log-super-update-interval=1,node-name={wn}"
    logw += ",log-append=on" if append else ",log-sector-size=512"
    return ["-blockdev", f"driver=file,filename={data},node-name={dn}{cache_opt}",
            "-blockdev", f"driver=file,filename={log},node-name={ln}",
            "-blockdev", logw,
            "-device", f"virtio-blk-device,drive={wn},serial={serial}"]


def broken_dtb(a, what, workdir):
    """Dump QEMU's own DTB, break it as asked, and return the new blob's path."""
    raw = os.path.join(workdir, "virt.dtb")
    dump = qemu_command(a)
    dump[2] = "virt,dumpdtb=" + raw
    subprocess.run(dump, check=True, capture_output=True)
    dts = subprocess.run(["dtc", "-q", "-I", "dtb", "-O", "dts", raw], check=True,
                         capture_output=True, text=True).stdout
    if what == "no-memory":
        dts, n = re.subn(r"\n\tmemory@[0-9a-f]+ \{.*?\n\t\};", "", dts, flags=re.S)
    elif what == "small-plic":
        # The PLIC's reg size cut to 0x1000: its context registers fall outside.
        dts, n = re.subn(r"(plic@[0-9a-f]+ \{[^}]*?reg = <(?:0x[0-9a-f]+ ){3})0x[0-9a-f]+>",
                         r"\g<1>0x1000>", dts, count=1, flags=re.S)
    else:
        sys.exit(f"qemu.py: unknown --break-dtb {what}")
    if n == 0:
        sys.exit(f"qemu.py: --break-dtb {what}: nothing to remove in QEMU's DTB")
    out = os.path.join(workdir, f"broken-{what}.dtb")
    subprocess.run(["dtc", "-q", "-I", "dts", "-O", "dtb", "-o", out, "-"], input=dts,
                   check=True, text=True)
    return out


def run_test(a):
    """Boot once, capture the UART, judge exit status and markers."""
    with tempfile.TemporaryDirectory() as work:
        dtb = broken_dtb(a, a.break_dtb, work) if a.break_dtb else None
        cmd = qemu_command(a, dtb)
        try:
            proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                                  timeout=a.timeout)
            out, status = proc.stdout, proc.returncode
        except subprocess.TimeoutExpired as e:
            out, status = e.stdout or b"", None
    text = out.decode("utf-8", "replace").replace("\r\n", "\n")
    os.makedirs(os.path.dirname(os.path.abspath(a.log)), exist_ok=True)
    with open(a.log, "w", encoding="utf-8") as f:
        f.write("$ " + " ".join(cmd) + "\n" + text)
    lines = text.split("\n")
    problems = []
    if status is None:
        problems.append(f"timed out after {a.timeout}s")
    elif status != a.exit:
        problems.append(f"QEMU exit status {status}, expected {a.exit}")
    for want in a.expect or []:
        if not any(line.strip() == want for line in lines):
            problems.append(f"missing marker: {want!r}")
    for spec in a.expect_count or []:
        pattern, n = spec.rsplit("=", 1)
        got = sum(1 for line in lines if re.fullmatch(pattern, line.strip()))
        if got != int(n):
            problems.append(f"{got} lines match {pattern!r}, expected {n}")
    for pattern in a.expect_match or []:
        if not any(re.fullmatch(pattern, line.strip()) for line in lines):
            problems.append(f"no line matches {pattern!r}")
    for bad in a.forbid or []:
        if any(re.search(bad, line) for line in lines):
            problems.append(f"forbidden output matched {bad!r}")
    if getattr(a, "check_timeline", False):
        # timeline.py sits beside this file, which other scripts load by path.
        sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
        import timeline  # noqa: E402
        try:
            timeline.check_log(text)
        except timeline.TimelineError as e:
            problems.append(f"boot timeline: {e}")
    if problems:
        sys.stdout.write(text[-4000:])
        for p in problems:
            print("FAIL:", p)
        print("log:", a.log)
        return 1
    print(f"ok: exit {status}, {len(a.expect or [])} markers, log {a.log}")
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("mode", choices=["run", "test"])
    p.add_argument("--qemu", default="qemu-system-riscv64")
    p.add_argument("--kernel", required=True)
    p.add_argument("--smp", type=int, default=4)
    p.add_argument("--mem", default="256M")
    p.add_argument("--modern", action="store_true", help="virtio-mmio version 2 transport")
    p.add_argument("--append", default="")
    p.add_argument("--disk", action="append", help="FILE[:SERIAL[:ro[:BLOCKSIZE]]]")
    p.add_argument("--logdisk", action="append",
                   help="DATA:LOG[:SERIAL[:append]]: a disk recorded by QEMU's blklogwrites")
    p.add_argument("--disk-cache",
                   choices=["none", "writeback", "writethrough", "directsync", "unsafe"],
                   help="QEMU cache mode of every --disk (default: QEMU's, writeback)")
    p.add_argument("--rng", action="store_true",
                   help="attach an entropy device (-device virtio-rng-device, virtio ID 4)")
    p.add_argument("--log")
    p.add_argument("--expect", action="append")
    p.add_argument("--expect-count", action="append", help="REGEX=N: exactly N full lines match")
    p.add_argument("--expect-match", action="append", help="REGEX: at least one full line matches")
    p.add_argument("--forbid", action="append", help="REGEX that must not appear")
    p.add_argument("--exit", type=int, default=0)
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--break-dtb", choices=["no-memory", "small-plic"])
    p.add_argument("--check-timeline", action="store_true",
                   help="check the boot timeline line after cairn: ready (timeline.py)")
    a = p.parse_args()
    if a.mode == "run":
        cmd = qemu_command(a)
        print("cairn: " + " ".join(cmd), flush=True)
        os.execvp(cmd[0], cmd)
    if not a.log:
        p.error("test mode needs --log")
    return run_test(a)


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Smoke test of the in-image benchmark (not a timing test): boots with
`bench benchms=50` on a fresh 8 MiB `scratch` disk and checks that every
benchmark line is printed, well-formed, with non-zero figures, and that the
run ends with `bench: done failed=0` and exit status 0; and that the boot
timeline line is there and consistent (platform/qemu-virt/timeline.py).

  bench_boot.py QEMU_PY KERNEL LOG [--crypto] [--blk]
"""
import os
import subprocess
import sys
import tempfile

NONZERO_MBS = r"MB/s=(?:[1-9]\d*\.\d|0\.[1-9])"
POS = r"[1-9]\d*"


def main():
    qemu_py, kernel, log = sys.argv[1:4]
    extra = sys.argv[4:]
    cmd = [sys.executable, qemu_py, "test", "--kernel", kernel, "--smp", "2",
           "--append", "bench benchms=50", "--timeout", "60", "--log", log,
           "--expect", "bench: done failed=0", "--forbid", "PANIC|TRAP|FAILED",
           "--expect-match", r"bench: start ms=50 harts=2", "--check-timeline"]
    if "--crypto" in extra:
        cmd += ["--expect-match", rf"bench: memcpy {NONZERO_MBS} bytes={POS} us={POS}"]
        for name in ("crc32c-zbc", "crc32c-table", "sha256"):
            cmd += ["--expect-match",
                    rf"bench: {name} {NONZERO_MBS} vs-memcpy=\d+\.\d{{3}} bytes={POS} us={POS}"]
    with tempfile.TemporaryDirectory() as work:
        if "--blk" in extra:
            disk = os.path.join(work, "scratch.img")
            with open(disk, "wb") as f:
                f.truncate(8 << 20)
            cmd += ["--disk", f"{disk}:scratch",
                    "--expect", "bench: blk disk serial=scratch ss=512 bytes=8388608",
                    "--expect-count",
                    rf"bench: blk (seq|rand)-(read|write) bs=\d+ qd=(1|16) {NONZERO_MBS} "
                    rf"IOPS={POS} ops={POS} us={POS}=8",
                    "--expect-count",
                    rf"bench: blk rand-(read|write) bs=\d+ qd=(2|4|8) {NONZERO_MBS} "
                    rf"IOPS={POS} ops={POS} us={POS}=6",
                    "--expect-match",
                    rf"bench: blk flush n={POS} avg_us=\d+ p50_us=\d+ p99_us=\d+ max_us={POS}"]
        return subprocess.run(cmd).returncode


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""statefs in-image benchmark driver: boots the image in QEMU (4 harts) with a
blank 32 MiB `state` disk and a 16 MiB `scratch` disk and the boot arguments
"selftest statefsbench" (components/selftest/selftest_bench_statefs.c), then prints the figures as a
table: put+sync latency/throughput for 100 B and 4 KiB values next to raw
virtio-blk write+flush of the same size (same run), their ratio, and the mount
time of the store once it holds 10,000 keys (statefs restart); and put+sync
throughput against 1, 2, 4 and 8 writer threads (with DATA.json: written there
for the plots, bench/plots.py).

  statefs_image_bench.py QEMU_PY QEMU KERNEL LOGDIR [RUNS [DATA.json]]
"""
import json
import os
import re
import subprocess
import sys
import tempfile

LINE = re.compile(r"BENCH: (statefs put\+sync|raw write\+flush) size=(\d+) n=(\d+) "
                  r"mean_us=(\d+) p50_us=(\d+) p99_us=(\d+) ops_s=([\d.]+)")
RATIO = re.compile(r"BENCH: ratio size=(\d+) statefs/raw mean=([\d.]+) p50=([\d.]+)")
MOUNT = re.compile(r"statefs: mounted .* records=(\d+) keys=(\d+) .* mount_us=(\d+)")
FILL = re.compile(r"BENCH: fill keys=(\d+) us=(\d+)")
WRITERS = re.compile(r"BENCH: writers n=(\d+) size=(\d+) ops=(\d+) us=(\d+) ops_s=([\d.]+)")


def run_once(qemu_py, qemu, kernel, log):
    """One benchmark boot; the UART log text."""
    with tempfile.TemporaryDirectory() as work:
        state, scratch = os.path.join(work, "state.img"), os.path.join(work, "scratch.img")
        for path, size in ((state, 32 << 20), (scratch, 16 << 20)):
            with open(path, "wb") as f:
                f.truncate(size)
        cmd = [sys.executable, qemu_py, "test", "--qemu", qemu, "--kernel", kernel,
               "--smp", "4", "--timeout", "600", "--append", "selftest statefsbench",
               "--disk", f"{state}:state", "--disk", f"{scratch}:scratch", "--log", log,
               "--expect", "BENCH: statefsbench done", "--forbid", "PANIC|TRAP|FAILED"]
        if subprocess.run(cmd, stdout=subprocess.DEVNULL).returncode != 0:
            raise SystemExit(f"statefs_image: benchmark boot failed, see {log}")
        with open(log, errors="replace") as f:
            return f.read()


def main():
    qemu_py, qemu, kernel, logdir = sys.argv[1:5]
    runs = int(sys.argv[5]) if len(sys.argv) > 5 else 1
    data = sys.argv[6] if len(sys.argv) > 6 else None
    writers = {}  # threads -> [ops/s per run]
    os.makedirs(logdir, exist_ok=True)
    print("statefs in the image (QEMU virt, 4 harts, TCG) vs raw virtio-blk, same run")
    print(f"{'run':>3} {'what':<18} {'bytes':>5} {'n':>4} {'mean us':>8} {'p50 us':>7} "
          f"{'p99 us':>7} {'ops/s':>9}")
    for r in range(runs):
        text = run_once(qemu_py, qemu, kernel, os.path.join(logdir, f"statefs_image_bench{r}.log"))
        for m in LINE.finditer(text):
            print(f"{r:>3} {m[1]:<18} {m[2]:>5} {m[3]:>4} {m[4]:>8} {m[5]:>7} {m[6]:>7} {m[7]:>9}")
        for m in RATIO.finditer(text):
            print(f"{r:>3} ratio statefs/raw at {m[1]} B: mean {m[2]}x, median {m[3]}x")
        for m in WRITERS.finditer(text):
            writers.setdefault(int(m[1]), []).append(float(m[5]))
            print(f"{r:>3} put+sync {m[2]} B with {m[1]} writer thread(s): {m[3]} ops in "
                  f"{int(m[4]) / 1000:.0f} ms = {m[5]} ops/s")
        fill = FILL.search(text)
        mounts = [m for m in MOUNT.finditer(text) if int(m[2]) >= 10000]
        if not fill or not mounts:
            raise SystemExit("statefs_image: no 10,000-key mount line")
        m = mounts[-1]
        print(f"{r:>3} fill {fill[1]} keys (100 B, sync every 100): {int(fill[2]) / 1000:.1f} ms")
        print(f"{r:>3} mount with {m[2]} keys ({m[1]} records): {int(m[3]) / 1000:.1f} ms")
    if not writers:
        raise SystemExit("statefs_image: no writer-thread figures")
    if data:
        os.makedirs(os.path.dirname(os.path.abspath(data)), exist_ok=True)
        with open(data, "w", encoding="utf-8") as f:
            json.dump({"what": "statefs put+sync 100 B, in the image (QEMU TCG, 4 harts)",
                       "writers": {str(n): v for n, v in sorted(writers.items())}}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

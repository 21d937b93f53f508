#!/usr/bin/env python3
"""Boot benchmark: boots the image with `quit` (no disks) on 1 hart and on 4
harts, alternating, and reports the boot timeline (docs/architecture.md, Boot
timeline): `cairn: ready` time per hart count, the extra cost of 4 harts over
1 with the ratio, and where it goes, phase by phase.

  run_boot_bench.py --kernel ELF --qemu-py PATH [--qemu BIN] [--runs 5]
                    [--logdir DIR] [--json FILE]

Each figure is the median over the runs (the minimum in brackets): under TCG
on a shared machine single boots vary by a factor of several. --json writes
every run's parsed timeline for the plots (bench/plots.py).
Exit 0 when every boot gave a consistent timeline, 1 otherwise.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "platform", "qemu-virt"))
import timeline  # noqa: E402

HARTS = (1, 4)


def fail(msg):
    print(f"run_boot_bench: {msg}", file=sys.stderr)
    sys.exit(1)


def boot(a, smp, log):
    """One `quit` boot on smp harts; its checked, parsed timeline."""
    cmd = [sys.executable, a.qemu_py, "test", "--qemu", a.qemu, "--kernel", a.kernel,
           "--smp", str(smp), "--append", "quit", "--timeout", "120", "--log", log,
           "--expect", "cairn: quit requested on the command line",
           "--forbid", "PANIC|TRAP|FAILED", "--check-timeline"]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        sys.stdout.write(res.stdout[-2000:])
        fail(f"boot on {smp} hart(s) failed (log {log})")
    with open(log, encoding="utf-8") as f:
        return timeline.check_log(f.read())


def med(xs):
    return statistics.median(xs)


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kernel", required=True)
    p.add_argument("--qemu-py", required=True, help="platform/qemu-virt/qemu.py")
    p.add_argument("--qemu", default="qemu-system-riscv64")
    p.add_argument("--runs", type=int, default=5, help="boots per hart count")
    p.add_argument("--logdir", help="where the UART logs go (default: a temp dir)")
    p.add_argument("--json", help="write every run's timeline here")
    a = p.parse_args()
    if a.runs < 1:
        p.error("--runs must be >= 1")
    logdir = a.logdir or tempfile.mkdtemp(prefix="cairn-boot-bench-")
    os.makedirs(logdir, exist_ok=True)
    runs = {n: [] for n in HARTS}
    for r in range(a.runs):  # 1, 4, 1, 4, ...: load drift hits both alike
        for n in HARTS:
            runs[n].append(boot(a, n, os.path.join(logdir, f"boot-smp{n}-{r + 1}.log")))

    print(f"Cairn boot benchmark: QEMU TCG, `quit`, no disks, {a.runs} boot(s) per hart "
          f"count, median [min] in µs; logs {logdir}/boot-smp*-*.log")
    print(f"{'phase':<12}" + "".join(f"{f'{n} hart(s)':>22}" for n in HARTS)
          + f"{'4 - 1':>10}")

    def row(label, get):
        vals = {n: [get(t) for t in runs[n]] for n in HARTS}
        cells = "".join(f"{f'{med(vals[n]):.0f} [{min(vals[n])}]':>22}" for n in HARTS)
        print(f"{label:<12}{cells}{med(vals[4]) - med(vals[1]):>10.0f}")
        return {n: med(vals[n]) for n in HARTS}

    row("fw", lambda t: t["fw"])
    for ph in timeline.PHASES:
        row(ph, lambda t, ph=ph: t["phases"][ph])
    row("  comp work", lambda t: sum(i + s for _, i, s in t["comps"]))
    row("  supervisor", lambda t: t["phases"]["comps"] - sum(i + s for _, i, s in t["comps"]))
    tot = row("total", lambda t: t["total"])
    extra = tot[4] - tot[1]
    ratio = tot[4] / tot[1] if tot[1] else float("nan")
    print()
    print(f"boot to `cairn: ready`: 1 hart {tot[1] / 1000:.1f} ms, 4 harts {tot[4] / 1000:.1f} ms "
          f"(medians); 4 harts cost {extra / 1000:+.1f} ms, ratio 4/1 = {ratio:.2f}")
    if a.json:
        os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump({str(n): runs[n] for n in HARTS}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""In-image benchmark driver: boots the Cairn image under QEMU with `bench` on the
command line and a fresh `scratch` disk file, parses the guest's `bench:` lines,
measures the host's own throughput on the same backing file with fio, and prints
each guest figure next to the host figure and the guest/host ratio.

  run_image_bench.py --kernel ELF --qemu-py PATH [--qemu BIN] [--workdir DIR]
                     [--disk-mib 64] [--ms 1000] [--smp 2] [--runs 2] [--json FILE]

The disk is attached with cache=none (O_DIRECT on the host file, guest flushes
become fdatasync), and fio runs with direct=1 and the guest's exact pattern
(N jobs for queue depth N, each one synchronous request at a time on its own 1/N
of the file), so the host figure is the ceiling the guest cannot pass. Host runs
and guest boots alternate (host, guest, host, ...); the best figure of each side
is reported, and the guest's range over its boots.
Crypto figures are guest-only (ratio to memcpy in the same boot).
Exit 0 when every figure was measured, 1 otherwise.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

# (name, fio rw, guest request bytes, queue depth), in the guest's order.
PHASES = [
    ("seq-write", "write", 131072, 1), ("seq-read", "read", 131072, 1),
    ("rand-write", "randwrite", 4096, 1), ("rand-read", "randread", 4096, 1),
    ("seq-write", "write", 131072, 16), ("seq-read", "read", 131072, 16),
    ("rand-write", "randwrite", 4096, 16), ("rand-read", "randread", 4096, 16),
    ("rand-write", "randwrite", 4096, 2), ("rand-read", "randread", 4096, 2),
    ("rand-write", "randwrite", 4096, 4), ("rand-read", "randread", 4096, 4),
    ("rand-write", "randwrite", 4096, 8), ("rand-read", "randread", 4096, 8),
]

BLK_RE = re.compile(r"bench: blk (\S+) bs=(\d+) qd=(\d+) MB/s=([\d.]+) IOPS=(\d+) "
                    r"ops=(\d+) us=(\d+)")
FLUSH_RE = re.compile(r"bench: blk flush n=(\d+) avg_us=(\d+) p50_us=(\d+) p99_us=(\d+) "
                      r"max_us=(\d+)")
CRYPTO_RE = re.compile(r"bench: (memcpy|crc32c-table|crc32c-zbc|sha256) MB/s=([\d.]+)"
                       r"(?: vs-memcpy=([\d.]+))?")


def fail(msg):
    print(f"run_image_bench: {msg}", file=sys.stderr)
    sys.exit(1)


def make_disk(path, mib):
    """A fully written (not sparse) file of random data, synced: reads then hit
    allocated blocks on both sides, never holes."""
    with open(path, "wb") as f:
        for _ in range(mib):
            f.write(os.urandom(1 << 20))
        f.flush()
        os.fsync(f.fileno())
    # cache=none and fio direct=1 both need O_DIRECT on this file system.
    try:
        fd = os.open(path, os.O_RDONLY | os.O_DIRECT)
        os.close(fd)
    except OSError as e:
        fail(f"{path}: O_DIRECT not supported here ({e}); pass --workdir on a disk file system")


def fio(fio_bin, path, args):
    """Run one fio job group, return its JSON job record (group_reporting)."""
    cmd = [fio_bin, "--name=bench", f"--filename={path}", "--direct=1", "--ioengine=psync",
           "--norandommap", "--randrepeat=0", "--group_reporting", "--output-format=json"] + args
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        fail(f"fio failed: {' '.join(cmd)}\n{res.stderr.strip()}")
    try:
        return json.loads(res.stdout)["jobs"][0]
    except (ValueError, KeyError, IndexError) as e:
        fail(f"fio output not understood ({e}): {res.stdout[:400]}")


def host_run(fio_bin, path, disk_bytes, ms):
    """Host figures for every phase and for flush latency, on the guest's pattern."""
    out = {}
    for name, rw, bs, qd in PHASES:
        region = disk_bytes // qd
        j = fio(fio_bin, path, [f"--rw={rw}", f"--bs={bs}", f"--numjobs={qd}",
                                f"--size={region}", f"--offset_increment={region}",
                                "--time_based", f"--runtime={ms}ms"])
        d = j["write" if "write" in rw else "read"]
        out[(name, qd)] = (d["bw_bytes"] / 1e6, d["iops"])
    # Flush: a 4 KiB write at a random place, then fdatasync, like the guest.
    j = fio(fio_bin, path, ["--rw=randwrite", "--bs=4096", "--fdatasync=1", "--numjobs=1",
                            f"--size={disk_bytes}", "--time_based", f"--runtime={ms}ms"])
    lat = j["sync"]["lat_ns"]
    pct = lat.get("percentile", {})
    out["flush"] = (int(lat["N"]), lat["mean"] / 1e3, pct.get("50.000000", 0) / 1e3,
                    pct.get("99.000000", 0) / 1e3, lat["max"] / 1e3)
    return out


def best_host(runs):
    """Per figure, the best host result over runs (highest MB/s, lowest mean latency)."""
    out = {}
    for k in runs[0]:
        if k == "flush":
            out[k] = min((r[k] for r in runs), key=lambda v: v[1])
        else:
            out[k] = max((r[k] for r in runs), key=lambda v: v[0])
    return out


def parse_guest(log):
    """The figures of one guest boot: crypto {name: (MB/s, vs-memcpy)}, blk {(name, qd):
    (MB/s, IOPS)}, flush (n, avg, p50, p99, max) or None, and whether Zbc was absent."""
    crypto = {m.group(1): (float(m.group(2)), m.group(3) or "1.000")
              for m in CRYPTO_RE.finditer(log)}
    blk = {(m.group(1), int(m.group(3))): (float(m.group(4)), int(m.group(5)))
           for m in BLK_RE.finditer(log)}
    fl = FLUSH_RE.search(log)
    return {"crypto": crypto, "blk": blk,
            "flush": tuple(int(x) for x in fl.groups()) if fl else None,
            "no_zbc": "bench: crc32c-zbc unavailable" in log,
            "no_crypto": not crypto}


def guest_run(a, disk, log):
    """Boot the image with `bench`; return the UART log text."""
    timeout = 90 + 20 * a.ms / 1000
    cmd = [sys.executable, a.qemu_py, "test", "--qemu", a.qemu, "--kernel", a.kernel,
           "--smp", str(a.smp), "--append", f"bench benchms={a.ms}",
           "--disk", f"{disk}:scratch", "--disk-cache", "none",
           "--timeout", str(timeout), "--log", log,
           "--expect", "bench: done failed=0", "--forbid", "PANIC|TRAP|FAILED"]
    res = subprocess.run(cmd, capture_output=True, text=True)
    if res.returncode != 0:
        sys.stdout.write(res.stdout)
        fail(f"guest benchmark boot failed (log {log})")
    with open(log, encoding="utf-8") as f:
        return f.read()


def ratio(g, h):
    return f"{g / h:.3f}" if h else "-"


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kernel", required=True)
    p.add_argument("--qemu-py", required=True, help="platform/qemu-virt/qemu.py")
    p.add_argument("--qemu", default="qemu-system-riscv64")
    p.add_argument("--workdir", help="where the disk file goes (default: a temp dir)")
    p.add_argument("--disk-mib", type=int, default=64)
    p.add_argument("--ms", type=int, default=1000, help="milliseconds per figure")
    p.add_argument("--smp", type=int, default=2)
    p.add_argument("--runs", type=int, default=2, help="guest boots (best figure is shown)")
    p.add_argument("--json", help="also write the virtio-blk figures here (bench/plots.py)")
    a = p.parse_args()
    if a.disk_mib < 2 or a.ms < 1 or a.runs < 1:
        p.error("--disk-mib must be >= 2, --ms and --runs >= 1")
    fio_bin = shutil.which("fio")
    if not fio_bin:
        fail("fio not found (Debian package fio; ./cairn setup installs it)")

    if a.workdir:
        os.makedirs(a.workdir, exist_ok=True)
    logdir = a.workdir or tempfile.gettempdir()
    hosts, guests = [], []
    with tempfile.TemporaryDirectory(dir=a.workdir) as work:
        disk = os.path.join(work, "scratch.img")
        make_disk(disk, a.disk_mib)
        disk_bytes = a.disk_mib << 20
        # host, guest, host, guest, ..., host: both sides see the same load drift.
        hosts.append(host_run(fio_bin, disk, disk_bytes, a.ms))
        for r in range(a.runs):
            log = os.path.join(logdir, f"image-bench-{r + 1}.log")
            guests.append(parse_guest(guest_run(a, disk, log)))
            hosts.append(host_run(fio_bin, disk, disk_bytes, a.ms))
    host = best_host(hosts)

    print(f"Cairn image benchmark: QEMU TCG -smp {a.smp}, scratch disk {a.disk_mib} MiB, "
          f"cache=none (O_DIRECT), {a.ms} ms per figure, best of {a.runs} boot(s) and "
          f"{a.runs + 1} host runs; guest logs {logdir}/image-bench-*.log")
    missing = []
    print()
    if guests[0]["no_crypto"]:
        print("crypto: not built into the image")
    else:
        print("(vs memcpy: against memcpy in the same boot as the best figure)")
        print(f"{'crypto (guest)':<16} {'MB/s':>9} {'vs memcpy':>10} {'range MB/s':>16}")
        for name in ("memcpy", "crc32c-table", "crc32c-zbc", "sha256"):
            got = [g["crypto"][name] for g in guests if name in g["crypto"]]
            if name == "crc32c-zbc" and any(g["no_zbc"] for g in guests):
                print(f"{name:<16} n/a: not every hart's ISA lists zbc")
            elif len(got) < len(guests):
                missing.append(name)
            else:
                best = max(got)
                rng = f"{min(v[0] for v in got):.1f}-{best[0]:.1f}"
                print(f"{name:<16} {best[0]:>9.1f} {best[1]:>10} {rng:>16}")
    print()
    print(f"{'virtio-blk':<20} {'guest MB/s':>10} {'IOPS':>7} {'host MB/s':>10} {'IOPS':>7} "
          f"{'guest/host':>10} {'guest range MB/s':>17}")
    for name, _, bs, qd in PHASES:
        label = f"{name} {bs // 1024}k qd{qd}"
        got = [g["blk"][(name, qd)] for g in guests if (name, qd) in g["blk"]]
        if len(got) < len(guests):
            missing.append(label)
            continue
        g, h = max(got), host[(name, qd)]
        rng = f"{min(v[0] for v in got):.1f}-{g[0]:.1f}"
        print(f"{label:<20} {g[0]:>10.1f} {g[1]:>7} {h[0]:>10.1f} {h[1]:>7.0f} "
              f"{ratio(g[0], h[0]):>10} {rng:>17}")
    print()
    print(f"{'flush latency us':<26} {'n':>6} {'avg':>8} {'p50':>8} {'p99':>8} {'max':>8}")
    fls = [g["flush"] for g in guests if g["flush"]]
    if len(fls) < len(guests):
        missing.append("flush")
    hf = host["flush"]
    if fls:
        g = min(fls, key=lambda v: v[1])
        print(f"{'guest (4k write, flush)':<26} {g[0]:>6} {g[1]:>8} {g[2]:>8} {g[3]:>8} {g[4]:>8}")
    print(f"{'host (4k write, fdatasync)':<26} {hf[0]:>6} {hf[1]:>8.0f} {hf[2]:>8.0f} "
          f"{hf[3]:>8.0f} {hf[4]:>8.0f}")
    if fls:
        print(f"{'guest/host':<26} {'':>6} {ratio(g[1], hf[1]):>8} {ratio(g[2], hf[2]):>8} "
              f"{ratio(g[3], hf[3]):>8} {ratio(g[4], hf[4]):>8}")
    if a.json:
        rows = []
        for name, _, bs, qd in PHASES:
            got = [g["blk"][(name, qd)] for g in guests if (name, qd) in g["blk"]]
            if got:
                g, h = max(got), host[(name, qd)]
                rows.append({"phase": name, "bs": bs, "qd": qd, "guest_mbs": g[0],
                             "guest_iops": g[1], "host_mbs": h[0], "host_iops": h[1]})
        os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
        with open(a.json, "w", encoding="utf-8") as f:
            json.dump({"what": f"virtio-blk, QEMU TCG -smp {a.smp}, cache=none, {a.ms} ms "
                               f"per figure, best of {a.runs} boot(s); host: fio",
                       "blk": rows}, f, indent=1)
    if missing:
        fail("guest printed no figure for: " + ", ".join(missing))
    return 0


if __name__ == "__main__":
    sys.exit(main())

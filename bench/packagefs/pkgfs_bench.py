#!/usr/bin/env python3
"""packagefs benchmark in the image (boot argument `pkgfsbench`, see
components/packagefs/pkgfs_bench.c). Two boots under QEMU:

  read   an image holding pkg:/bench/big (8 MiB), 5 rounds: raw virtio-blk read
         of the file's sectors and SHA-256 of the same bytes (timed apart), raw
         128 KiB reads each hashed; then through packagefs the first byte on a fresh
         mount, a cold sequential read (every page read and verified against the
         hash tree) and a warm re-read of the cached tail, in the same run; the
         cold throughput as a share of raw read + SHA-256, separately and
         interleaved chunk by chunk (paired)
  mount  an image of 10,000 files in 100 directories: time of a full mount
         (header, metadata, root hash, Ed25519 signature, structure)

Images are built at run time with mkpkgfs and the build-time key.

  pkgfs_bench.py QEMU_PY KERNEL MKPKGFS KEYFILE LOGDIR
"""
import os
import random
import re
import subprocess
import sys
import tempfile

BIG = 8 << 20


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def boot(qemu_py, kernel, image, log):
    cmd = [sys.executable, qemu_py, "test", "--kernel", kernel, "--smp", "2", "--mem", "512M",
           "--timeout", "300", "--append", "pkgfsbench", "--disk", f"{image}:pkgfs:ro:512",
           "--modern", "--log", log, "--expect", "PKGFSBENCH: done",
           "--forbid", "PANIC|TRAP|FAILED"]
    if subprocess.run(cmd, stdout=subprocess.DEVNULL).returncode != 0:
        print(f"pkgfs_bench: boot failed, see {log}")
        return None
    with open(log, encoding="utf-8") as f:
        return [line.strip() for line in f if line.startswith("PKGFSBENCH:")]


def fields(line):
    return {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", line)}


def main():
    qemu_py, kernel, tool, key, logdir = sys.argv[1:6]
    os.makedirs(logdir, exist_ok=True)
    with tempfile.TemporaryDirectory() as work:
        read_tree = os.path.join(work, "read")
        write(os.path.join(read_tree, "bench/big"), random.Random(1).randbytes(BIG))
        write(os.path.join(read_tree, "bin/hello"), b"hello\n")
        read_img = os.path.join(work, "read.img")
        subprocess.run([tool, "build", read_tree, read_img, "--key", key], check=True)

        mount_tree = os.path.join(work, "mount")
        for d in range(100):
            for i in range(100):
                write(os.path.join(mount_tree, f"d{d:03d}", f"file{i:03d}"),
                      f"package file {d}/{i}\n".encode())
        mount_img = os.path.join(work, "mount.img")
        subprocess.run([tool, "build", mount_tree, mount_img, "--key", key], check=True)

        r = boot(qemu_py, kernel, read_img, os.path.join(logdir, "pkgfs_bench_read.log"))
        m = boot(qemu_py, kernel, mount_img, os.path.join(logdir, "pkgfs_bench_mount.log"))
    if r is None or m is None:
        return 1
    for line in r + m:
        print(line)
    rd = fields(next(line for line in r if " read " in line))
    mt = fields(next(line for line in m if " mount " in line))
    mib = rd["bytes"] / (1 << 20)
    ref_us = rd["raw_us"] + rd["hash_us"]

    def rate(us):
        return f"{rd['bytes'] / (1 << 20) / (us / 1e6):8.1f} MiB/s" if us else "    n/a"

    print(f"\npackagefs in QEMU (TCG), {mib:.0f} MiB file, 128 KiB reads, "
          "minimum of 5 rounds:")
    firsts = sorted(fields(line)["first_us"] for line in r if " round " in line)
    median = firsts[len(firsts) // 2] if firsts else 0
    print(f"  first byte, fresh mount : {rd['first_us'] / 1000:8.2f} ms "
          f"(median {median / 1000:.2f}, max {rd['first_max_us'] / 1000:.2f}; {rd['first_reads']} device reads, "
          f"{rd['first_hashed']} pages hashed)")
    print(f"  one raw 4 KiB read      : {rd['raw_first_us'] / 1000:8.2f} ms (the same request "
          f"without packagefs)")
    print(f"  raw virtio-blk          : {rate(rd['raw_us'])} ({rd['raw_us']} us)")
    print(f"  SHA-256 alone           : {rate(rd['hash_us'])} ({rd['hash_us']} us, same bytes "
          f"from memory)")
    print(f"  raw + SHA-256           : {rate(ref_us)} ({ref_us} us, the reference)")
    print(f"  raw 128 KiB reads, each hashed: {rate(rd['raw_hashed_us'])} "
          f"({rd['raw_hashed_us']} us)")
    print(f"  packagefs cold          : {rate(rd['cold_us'])} ({rd['cold_us']} us, max "
          f"{rd['cold_max_us']}, "
          f"{rd['cold_hashed']} pages hashed) = {rd['cold_vs_ref_pct'] / 100:.2f}x of "
          f"raw + SHA-256, {rd['cold_vs_raw_hashed_pct'] / 100:.2f}x of raw hashed reads")
    warm = rd["warm_bytes"] / (1 << 20) / (rd["warm_us"] / 1e6) if rd["warm_us"] else 0
    for line in r:
        if " round " in line:
            f = fields(line)
            print(f"  round {line.split()[2]}: paired {f['pair_ref_us'] / f['pair_cold_us']:.2f}x, "
                  f"cold {f['cold_us']} us, raw {f['raw_us']} us + SHA-256 {f['hash_us']} us, "
                  f"first byte {f['first_us']} us")
    print(f"  paired, chunk by chunk  : packagefs cold {rd['pair_cold_us']} us vs raw + SHA-256 "
          f"{rd['pair_ref_us']} us = {rd['pair_pct'] / 100:.2f}x (sums over the rounds; the "
          "steadier ratio on a loaded host)")
    print(f"  packagefs warm          : {warm:8.1f} MiB/s ({rd['warm_us']} us for the "
          f"{rd['warm_bytes'] >> 20} MiB tail the 4 MiB cache still holds)")
    print(f"  mount, {mt['files']} files / {mt['dirs']} dirs: "
          f"{mt['us_min'] / 1000:.1f} ms min, {mt['us_max'] / 1000:.1f} ms max of 3")
    return 0


if __name__ == "__main__":
    sys.exit(main())

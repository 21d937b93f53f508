#!/usr/bin/env python3
"""packagefs benchmark in the image (boot argument `pkgfsbench`, see
components/packagefs/pkgfs_bench.c). Two boots under QEMU:

  read   an image holding pkg:/bench/big (8 MiB): raw virtio-blk read of the
         file's sectors, then cold (first read: device reads plus the SHA-256
         check) and warm (cached, already verified) reads through packagefs,
         in the same run; the cold/raw throughput ratio
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
    print(f"\npackagefs in QEMU (TCG), {mib:.0f} MiB file, 128 KiB reads:")
    print(f"  raw virtio-blk : {rd['raw_kibs'] / 1024:8.1f} MiB/s ({rd['raw_us']} us)")
    print(f"  packagefs cold : {rd['cold_kibs'] / 1024:8.1f} MiB/s ({rd['cold_us']} us, "
          f"incl. SHA-256 of the content)  = {rd['cold_vs_raw_pct']}% of raw")
    print(f"    of which verification before the first byte: {rd['verify_us']} us")
    print(f"  raw 64 KiB reads + SHA-256 per read (no packagefs): {rd['raw_hashed_us']} us")
    print(f"  packagefs warm : {rd['warm_kibs'] / 1024:8.1f} MiB/s ({rd['warm_us']} us)")
    print(f"  SHA-256 alone  : {rd['bytes'] / (1 << 20) / (rd['hash_us'] / 1e6):8.1f} MiB/s "
          f"({rd['hash_us']} us, same bytes from memory)")
    print(f"  mount, {mt['files']} files / {mt['dirs']} dirs: "
          f"{mt['us_min'] / 1000:.1f} ms min, {mt['us_max'] / 1000:.1f} ms max of 3")
    return 0


if __name__ == "__main__":
    sys.exit(main())

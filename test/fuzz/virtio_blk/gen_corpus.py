#!/usr/bin/env python3
"""Seed inputs for fuzz_vblk, in the byte layout fuzz_vblk.c reads: a device
configuration (modern or legacy, default features, a 64-sector disk, a serial)
that probes cleanly, then a script of driver operations (reads, writes, flushes,
two reads in flight) with and without hostile device events, so the fuzzer starts
from runs that reach the I/O paths.

  gen_corpus.py OUTDIR STAMP
"""
import os
import sys


def config(modern=True, polled=False, serial=b"disk0"):
    b = bytes([1 if modern else 0])
    b += bytes(5)                    # features: the defaults
    b += bytes([63, 0, 0, 126, 9])   # 64 sectors, 512-byte blocks, size_max 1M, seg 126, 256 descs
    ser = b""
    for i in range(20):
        ser += bytes([1, serial[i]]) if i < len(serial) else bytes([0])
    b += ser + bytes([0])            # GET_ID supported, FEATURES_OK accepted
    b += bytes([1 if polled else 0, 50, 0])  # polled?, timeout, no probe-time events
    return b


def read(sector, blocks):
    return bytes([0, 1, sector, blocks - 1, 1])


def write(sector, blocks, seed):
    return bytes([2, 1, sector, blocks - 1, 1, seed])


FLUSH = bytes([3, 1, 0, 0, 1])
OVERLAP = bytes([4, 1, 3, 0, 1, 9, 1])
DEFER = bytes([0x82, 1])
POST_OTHER_ID = bytes([0x81, 0, 0, 0, 0, 1, 0])
POST_SHORT = bytes([0x81, 2, 0, 0, 0, 100, 0])
POST_DROP = bytes([0x81, 3, 0, 0, 0, 0, 0])
STRAY = bytes([0x85, 1, 5, 0, 0, 2, 1])
ERROR = bytes([0x83, 1, 0, 1, 0])
RESET_SELF = bytes([0x86, 3])
IGNORE_RESET = bytes([0x84, 1])
STATUS_READ = bytes([0x80, 1, 0, 0x40, 0, 1])

SEEDS = [
    config() + read(0, 1) + write(4, 2, 7) + read(4, 2) + FLUSH,
    config(modern=False) + write(0, 8, 1) + read(0, 8),
    config(polled=True) + read(1, 4) + write(2, 1, 3) + FLUSH,
    config() + DEFER + OVERLAP + read(0, 1),
    config() + POST_OTHER_ID + read(0, 1) + read(1, 1),
    config() + POST_SHORT + read(0, 2),
    config(polled=True) + POST_DROP + read(0, 1) + read(0, 1),
    config() + STRAY + read(0, 1),
    config() + ERROR + write(0, 1, 1) + read(0, 1),
    config() + RESET_SELF + read(0, 1),
    config() + IGNORE_RESET + POST_DROP + read(0, 1),
    config() + STATUS_READ + read(0, 1),
    config(serial=b"\x1b[2Jstate\n") + read(0, 1),
]


def main():
    out, stamp = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for i, s in enumerate(SEEDS):
        with open(os.path.join(out, "seed%02d" % i), "wb") as f:
            f.write(s)
    with open(stamp, "w") as f:
        f.write("%d seeds\n" % len(SEEDS))


if __name__ == "__main__":
    main()

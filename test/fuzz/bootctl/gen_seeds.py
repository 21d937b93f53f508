#!/usr/bin/env python3
"""Seed inputs for fuzz_bootctl_records: valid control + confirmed record pairs
(docs/bootctl.md layouts) behind the target's 4-byte header, so the fuzzer starts
from records whose CRC is right and mutates fields from there.

  gen_seeds.py OUTDIR STAMP
"""
import os
import struct
import sys


def crc32c(data):
    """CRC32-C (Castagnoli, reflected 0x82F63B78), as crypto_crc32c(0, ...)."""
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def control(seq, minr, last_good, slots):
    body = b"CAIRNBCT" + struct.pack("<HHB3xQQ", 1, 64, last_good, seq, minr)
    for prio, tries, succ, reason, rel in slots:
        body += struct.pack("<BBBBQ", prio, tries, 1 if succ else 0, reason, rel)
    body += b"\0" * 4
    return body + struct.pack("<I", crc32c(body))


def confirmed(seq, minr, last_good, good):
    body = b"CAIRNBCC" + struct.pack("<HHB3xQQQ", 1, 48, last_good, seq, minr, good) + b"\0" * 4
    return body + struct.pack("<I", crc32c(body))


STATES = [
    # seq, min, last_good, (slot a), (slot b)
    (1, 0, 0xFF, (15, 2, False, 0, 0), (14, 3, False, 0, 0)),
    (3, 1, 0, (15, 0, True, 0, 1), (14, 3, False, 0, 0)),
    (5, 1, 0, (14, 0, True, 0, 1), (15, 2, False, 0, 0)),
    (7, 2, 1, (0, 0, False, 2, 1), (15, 0, True, 0, 2)),
    (9, 1, 0, (15, 0, True, 0, 1), (0, 0, False, 3, 0)),
    (4, 5, 0xFF, (14, 3, False, 5, 0), (15, 0, False, 0, 0)),
]


def main():
    out, stamp = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for i, (seq, minr, lg, a, b) in enumerate(STATES):
        good = (a if lg == 0 else b)[4] if lg != 0xFF else 0
        ctl, conf = control(seq, minr, lg, [a, b]), confirmed(seq, minr, lg, good)
        for flags in (0x00, 0x28, 0x30):  # plain; boot.try + confirm; a failed mount
            with open(os.path.join(out, "seed%d_%02x" % (i, flags)), "wb") as f:
                f.write(bytes([64, 48, flags, 3]) + ctl + conf)
    with open(stamp, "w") as f:
        f.write("ok\n")


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Seed inputs for fuzz_dt: QEMU's own virt DTBs (1-4 harts; Sstc off, ACLINT,
AIA without a PLIC, more memory), repacked by dtc to their used size; the
dts/test minimal platform with firmware reservations (/memreserve/ and
/reserved-memory, none of the fixtures has them); and every DTB given on the
command line (the dts/test fixtures, valid and broken).

  gen_corpus.py QEMU|'' DTC DTS_TEST_DIR OUTDIR STAMP [DTB...]
"""
import os
import shutil
import subprocess
import sys
import tempfile

MACHINES = [
    ("virt", ["-smp", "1"]),
    ("virt", ["-smp", "2"]),
    ("virt", ["-smp", "3", "-m", "256M"]),
    ("virt", ["-smp", "4"]),
    ("virt", ["-smp", "4", "-cpu", "rv64,sstc=off"]),
    ("virt,aclint=on", ["-smp", "2"]),
    ("virt,aia=aplic-imsic", ["-smp", "2"]),
    ("virt", ["-smp", "2", "-m", "2G"]),
]

# The minimal test platform plus the regions firmware reserves (OpenSBI's
# /reserved-memory child, a /memreserve/ entry) inside its RAM.
RESERVED_DTS = """/dts-v1/;
/memreserve/ 0x80000000 0x40000;
/include/ "minimal.dtsi"
/ {
	reserved-memory {
		#address-cells = <2>;
		#size-cells = <2>;
		ranges;
		mmode_resv0@80040000 {
			reg = <0x0 0x80040000 0x0 0x20000>;
			no-map;
		};
	};
};
"""


def main():
    qemu, dtc, dts_dir, out, stamp = sys.argv[1:6]
    fixtures = sys.argv[6:]
    os.makedirs(out, exist_ok=True)
    n = 0
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "reserved.dts")
        with open(src, "w") as f:
            f.write(RESERVED_DTS)
        subprocess.run([dtc, "-q", "-i", dts_dir, "-I", "dts", "-O", "dtb", "-o",
                        os.path.join(out, "reserved.dtb"), src], check=True)
        n += 1
    if qemu:
        with tempfile.TemporaryDirectory() as tmp:
            for i, (machine, args) in enumerate(MACHINES):
                raw = os.path.join(tmp, "raw%d.dtb" % i)
                r = subprocess.run([qemu, "-machine", machine + ",dumpdtb=" + raw, "-nographic",
                                    "-display", "none"] + args, capture_output=True)
                if r.returncode != 0 or not os.path.exists(raw):
                    continue  # an older QEMU without that option: skip the seed
                subprocess.run([dtc, "-q", "-I", "dtb", "-O", "dtb", "-o",
                                os.path.join(out, "qemu%d.dtb" % i), raw], check=True)
                n += 1
    for f in fixtures:
        shutil.copy(f, os.path.join(out, "fixture-" + os.path.basename(f)))
        n += 1
    with open(stamp, "w") as f:
        f.write("%d seeds\n" % n)


if __name__ == "__main__":
    main()

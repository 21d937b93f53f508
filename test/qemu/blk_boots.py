#!/usr/bin/env python3
"""virtio-blk boot proofs on fresh disk files: boot 1 writes patterns to the
`scratch` disk and reads them back, boot 2 (same disk file, same seed) only
verifies them. A read-only `ro` disk is attached to both boots.

  blk_boots.py QEMU_PY KERNEL LOGDIR NAME [--modern] [--block-size N]
"""
import os
import random
import subprocess
import sys
import tempfile


def main():
    qemu_py, kernel, logdir, name = sys.argv[1:5]
    extra = sys.argv[5:]
    modern = "--modern" in extra
    bs = extra[extra.index("--block-size") + 1] if "--block-size" in extra else "512"
    seed = random.SystemRandom().randrange(1, 2**40)  # unique to this run
    with tempfile.TemporaryDirectory() as work:
        scratch = os.path.join(work, "scratch.img")
        ro = os.path.join(work, "ro.img")
        for path, size in ((scratch, 8 << 20), (ro, 1 << 20)):
            with open(path, "wb") as f:
                f.truncate(size)
        disks = ["--disk", f"{scratch}:scratch::{bs}", "--disk", f"{ro}:ro:ro:{bs}"]
        common = [sys.executable, qemu_py, "test", "--kernel", kernel, "--smp", "4",
                  "--timeout", "120", "--forbid", "PANIC|TRAP|FAILED"] + disks
        if modern:
            common.append("--modern")
        boots = [
            ("write", f"selftest blkseed={seed}",
             ["SELFTEST: blk rw ok", "SELFTEST: blk ro enforced ok"]),
            ("verify", f"selftest blkseed={seed} blkverify",
             ["SELFTEST: blk persist ok", "SELFTEST: blk ro enforced ok"]),
        ]
        for tag, append, markers in boots:
            cmd = common + ["--append", append, "--log", os.path.join(logdir, f"{name}_{tag}.log"),
                            "--expect-match", rf"blk: virtio-blk up serial=scratch sectors=\d+ ss={bs} ro=0 mmio=0x[0-9a-f]+ irq=\d+",
                            "--expect-match", rf"blk: virtio-blk up serial=ro sectors=\d+ ss={bs} ro=1 mmio=0x[0-9a-f]+ irq=\d+"]
            for m in markers:
                cmd += ["--expect", m]
            if subprocess.run(cmd).returncode != 0:
                print(f"{name}: boot '{tag}' failed")
                return 1
    print(f"{name}: both boots ok (seed {seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())

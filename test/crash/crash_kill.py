#!/usr/bin/env python3
"""The QEMU kill campaign (docs/crash-testing.md).

  crash_kill.py --qemu-py P --kernel ELF --tool CRASH_CAMPAIGN --work DIR
                [--kills N] [--seed S] [--sectors N] [--max-delay S]

Boots the crashload workload on one state disk again and again and SIGKILLs
QEMU at a random moment (during boot, mount, session start, the boot counter, or
anywhere in the workload). Each boot's writes are recorded by blklogwrites into
a fresh log. After every kill the disk file is checked with the same oracle as
the replay campaign (crash-campaign check: the crash point is the end of the
log; ops the earlier checks proved durable must stay; the boot counter never
goes back), and the next boot resumes the workload right after the op the state
holds (crashfrom=) and must report the same digest of the values as the host.

With QEMU's default cache=writeback the host page cache keeps every write of a
killed QEMU: a kill tests the image's crash-during-operation paths (recovery,
torn-free tails, resumption), not power loss; power loss is the replay campaign.
Prints `crash-kill: kills=<n> failed=<m> boots=<b> seconds=<s>`; exits 1 when m > 0.
"""
import argparse
import importlib.util
import os
import random
import re
import shutil
import subprocess
import sys
import time

OPS_PER_BOOT = 4000


def load_qemu_py(path):
    """The runner module, for its command builder."""
    spec = importlib.util.spec_from_file_location("cairn_qemu", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def qemu_cmd(q, a, append, data, log):
    """qemu-system-riscv64 arguments for one recorded boot."""
    ns = argparse.Namespace(qemu="qemu-system-riscv64", smp=1, mem="128M", kernel=a.kernel,
                            modern=False, append=append, disk=[], disk_cache=None,
                            logdisk=[f"{data}:{log}:state"])
    return q.qemu_command(ns)


def run_boot(q, a, append, data, log, delay, tag):
    """Boot; kill after delay seconds (None: let it finish). (killed, UART text)."""
    out_path = os.path.join(a.work, f"{tag}.log")
    with open(out_path, "wb") as out:
        p = subprocess.Popen(qemu_cmd(q, a, append, data, log), stdin=subprocess.DEVNULL,
                             stdout=out, stderr=subprocess.STDOUT)
        killed = False
        try:
            p.wait(timeout=delay if delay is not None else 120)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            killed = True
    with open(out_path, encoding="utf-8", errors="replace") as f:
        return killed, f.read().replace("\r\n", "\n")


def check(a, data, log, initial, nops, start, starts, lo_min, count_min, count_max):
    """crash-campaign check on the disk file; (ok, fields, line)."""
    cmd = [a.tool, "check", "--log", log, "--sectors", str(a.sectors), "--seed", str(a.seed),
           "--ops", str(nops), "--boots", ",".join(map(str, starts or [0])),
           "--initial", initial, "--data", data, "--from", str(start),
           "--count-min", str(count_min), "--count-max", str(count_max)]
    if lo_min >= 0:
        cmd += ["--lo-min", str(lo_min)]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
    f = dict(w.split("=", 1) for w in line.split() if "=" in w and not w.startswith("why"))
    return p.returncode == 0 and line.startswith("crash-check: ok"), f, p.stdout.strip()


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--qemu-py", required=True)
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--tool", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--kills", type=int, default=100)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--sectors", type=int, default=512)
    ap.add_argument("--max-delay", type=float, default=1.2)
    a = ap.parse_args()
    q = load_qemu_py(a.qemu_py)
    rng = random.Random(a.seed)
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    data, log, initial = (os.path.join(a.work, n) for n in ("data.img", "log.img", "before.img"))
    with open(data, "wb") as f:
        f.truncate(a.sectors * 512)
    t0 = time.time()
    kills = failed = boots = 0
    x_lo = x_next = -1    # the state holds the workload after some op in x_lo..x_next
    count = 0             # the boot counter the last check read
    digest = None         # (keys, digest) the host saw, for the next boot to match
    while kills < a.kills:
        shutil.copyfile(data, initial)
        open(log, "wb").close()  # a fresh log per boot (blklogwrites needs the file)
        start = x_next + 1
        append = f"crashload crashseed={a.seed} crashops={OPS_PER_BOOT} crashfrom={start}"
        delay = rng.uniform(0.02, a.max_delay)
        boots += 1
        killed, out = run_boot(q, a, append, data, log, delay, f"boot{boots}")
        kills += killed
        problems = []
        m = re.search(r"^crashload: state keys=(\d+) digest=([0-9a-f]{8}) ", out, re.M)
        if m and digest and (m.group(1), m.group(2)) != digest:
            problems.append(f"image digest keys={m.group(1)} {m.group(2)}, host "
                            f"keys={digest[0]} {digest[1]}")
        if "crashload: FAILED" in out or "PANIC" in out or "TRAP" in out:
            problems.append("the image reported a failure")
        if not killed and not re.search(r"^crashload: done ", out, re.M):
            problems.append("the boot ended without finishing the workload")
        started = re.search(r"^crashload: start ", out, re.M) is not None
        if os.path.getsize(log) < 512:
            # Killed before blklogwrites logged anything. The data file may still
            # have changed: QEMU runs a request's log write and its data write
            # side by side and completes the request to the guest only when both
            # are done, so a kill between them leaves data bytes of a request no
            # one was told had finished (seen on a loaded host). Losing those is a
            # legal crash state: put the disk back to what the boot started from.
            with open(data, "rb") as f1, open(initial, "rb") as f2:
                changed = f1.read() != f2.read()
            if changed:
                # "boot count=N" is printed after its put and sync came back.
                if re.search(r"^(statefs: boot count=\d+$|crashload: (start|done) )", out,
                             re.M):
                    problems.append("disk changed, the log is empty, and the image "
                                    "saw a write complete")
                else:
                    shutil.copyfile(initial, data)
                    print(f"crash-kill: boot {boots}: killed between a request's data "
                          f"and its log record (nothing acknowledged); disk put back")
        else:
            ok, f, text = check(a, data, log, initial, start + OPS_PER_BOOT + 64, start,
                                [start] if started else [], x_lo,
                                count + (1 if started else 0), boots)
            if not ok:
                problems.append(text)
            else:
                lo, hi = f["x"].split("..")
                x_lo, x_next = int(lo), int(hi)
                count = int(f["boots"])
                digest = (f["wkeys"], f["digest"])
        what = "killed" if killed else "exited"
        for p in problems:
            print(f"crash-kill: FAIL boot {boots} ({what} after {delay:.2f}s): {p}")
        failed += bool(problems)
        if problems:
            break  # the disk is no longer a state the next boot can be judged on
    print(f"crash-kill: state after the last check: op {x_lo}..{x_next}, boot count {count}")
    print(f"crash-kill: kills={kills} failed={failed} boots={boots} "
          f"seconds={time.time() - t0:.0f}")
    return 1 if failed or kills < a.kills else 0


if __name__ == "__main__":
    sys.exit(main())

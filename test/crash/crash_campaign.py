#!/usr/bin/env python3
"""The crash campaign (docs/crash-testing.md): record, replay, check, boot.

  crash_campaign.py --qemu-py P --kernel ELF --tool CRASH_CAMPAIGN --work DIR
                    [--seed S] [--boots B] [--ops-per-boot N] [--sectors N]
                    [--subset-samples N] [--torn-samples N] [--torn-max N]
                    [--sample N] [--min-states N] [--no-torn] [--expect-caught]

1. Record: boot the image B times on one blank state disk of N sectors behind
   QEMU's blklogwrites driver (one dm-log-writes log, appended across boots),
   running the seeded workload ("crashload crashseed=S crashops=N").
2. Replay and check: crash-campaign generates every prefix, subset/reordering
   and torn state of the log and checks each with the oracle.
3. Boot a sample of the states (the most damaged and a spread of the rest) with
   "crashload crashverify": the image's mount report and the digest of its values
   must equal what the host engine saw in the same state.
Prints `crash: states=<n> failed=<m> prefix=<a> subset=<b> torn=<c> booted=<d>
seconds=<s>` and exits 1 when m > 0 (or, with --expect-caught, when the campaign
did NOT catch a failure: the proof that a broken build is detected).
"""
import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import time


def boot(a, tag, append, disk=None, logdisk=None, timeout=120):
    """One QEMU boot; (exit status, UART text)."""
    log = os.path.join(a.work, f"{tag}.log")
    cmd = [sys.executable, a.qemu_py, "test", "--kernel", a.kernel, "--smp", "1",
           "--mem", "128M", "--timeout", str(timeout), "--append", append, "--log", log,
           "--forbid", "PANIC|TRAP|FAILED"]
    if disk:
        cmd += ["--disk", f"{disk}:state"]
    if logdisk:
        cmd += ["--logdisk", logdisk]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    with open(log, encoding="utf-8", errors="replace") as f:
        return p.returncode, f.read()


def record(a):
    """Boot B times behind blklogwrites; the boot starts and the ops run."""
    data, log = os.path.join(a.work, "data.img"), os.path.join(a.work, "log.img")
    with open(data, "wb") as f:
        f.truncate(a.sectors * 512)
    open(log, "wb").close()
    starts, last = [], -1
    for b in range(a.boots):
        spec = f"{data}:{log}:state" + (":append" if b else "")
        rc, out = boot(a, f"record{b + 1}", f"crashload crashseed={a.seed} "
                       f"crashops={a.ops_per_boot}", logdisk=spec)
        m = re.search(r"^crashload: start seed=\d+ from=(\d+)$", out, re.M)
        d = re.search(r"^crashload: done ops=(\d+)\.\.(\d+) ", out, re.M)
        if rc != 0 or not m or not d:
            sys.exit(f"crash: recording boot {b + 1} failed (status {rc}); see "
                     f"{a.work}/record{b + 1}.log")
        starts.append(int(m.group(1)))
        last = int(d.group(2))
    return log, starts, last + 1


def host_run(a, log, starts, nops):
    """crash-campaign run; (summary fields, sample lines, output)."""
    sdir = os.path.join(a.work, "samples")
    os.makedirs(sdir, exist_ok=True)
    cmd = [a.tool, "run", "--log", log, "--sectors", str(a.sectors), "--seed", str(a.seed),
           "--ops", str(nops), "--boots", ",".join(map(str, starts)),
           "--subset-samples", str(a.subset_samples), "--torn-samples", str(a.torn_samples),
           "--torn-max", str(a.torn_max), "--sample-seed", str(a.seed),
           "--samples", f"{sdir}:{a.sample}"]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    m = re.search(r"^crash-host: states=(\d+) failed=(\d+) prefix=(\d+) subset=(\d+) "
                  r"torn=(\d+)", p.stdout, re.M)
    if p.returncode not in (0, 1) or not m:
        sys.exit(f"crash: crash-campaign failed (status {p.returncode}):\n{p.stdout}")
    with open(os.path.join(sdir, "samples.txt")) as f:
        samples = [line.split() for line in f if line.strip()]
    return [int(x) for x in m.groups()], samples, p.stdout


def fields(words):
    """k=v words into a dict."""
    return dict(w.split("=", 1) for w in words if "=" in w)


def image_view(out):
    """What the image reported: mount line fields, damage line, digest line."""
    v = {}
    m = re.search(r"^statefs: mounted serial=state ss=\d+ region=(\w) records=(\d+) "
                  r"keys=(\d+) formatted=(\d) ro=(\d)", out, re.M)
    if m:
        v.update(region=m.group(1), records=m.group(2), keys=m.group(3),
                 formatted=m.group(4), ro=m.group(5))
    m = re.search(r"^statefs: crc mismatch \(record=(\d+)\) offset=(\d+) discarded=(\d+)",
                  out, re.M)
    if m:
        v.update(reason="bad-crc", bad_record=m.group(1), bad_offset=m.group(2),
                 discarded=m.group(3))
    m = re.search(r"^statefs: journal damaged \(reason=([\w-]+) record=(\d+)\) offset=(\d+) "
                  r"discarded=(\d+)", out, re.M)
    if m:
        v.update(reason=m.group(1), bad_record=m.group(2), bad_offset=m.group(3),
                 discarded=m.group(4))
    m = re.search(r"^crashload: state keys=(\d+) digest=([0-9a-f]{8}) progress=(-?\d+)$",
                  out, re.M)
    if m:
        v.update(wkeys=m.group(1), digest=m.group(2))
    m = re.search(r"^statefs: boot count=(\d+)( \(read-only store: not recorded\))?$", out,
                  re.M)
    if m:
        v.update(boot_count=m.group(1))
    return v


def compare(h, v):
    """Differences between the host's view h and the image's view v."""
    diffs = []
    if h["mount"] == "-2":  # no store: the image formats the blank disk
        want = {"formatted": "1", "keys": "0", "wkeys": "0", "digest": "00000000"}
    else:
        want = {k: h[k] for k in ("region", "records", "keys", "wkeys", "digest")}
        want["formatted"] = "0"
        if h["clean"] == "0":
            want.update({k: h[k] for k in ("reason", "bad_record", "bad_offset",
                                            "discarded")})
        elif "reason" in v:
            diffs.append(f"image reports damage ({v['reason']}), host replay was clean")
    # The image counts this boot on top of the counter the host read.
    want["boot_count"] = str(int(h.get("boots", "0")) + 1)
    for k, x in want.items():
        if v.get(k) != x:
            diffs.append(f"{k}: host {x}, image {v.get(k)}")
    return diffs


def boot_sample(a, s):
    """Boot one sampled state (a copy: the boot writes it); None or the problem."""
    name, recipe, h = s[0], s[1], fields(s[2:])
    img = os.path.join(a.work, "boot-" + name)
    shutil.copyfile(os.path.join(a.work, "samples", name), img)
    rc, out = boot(a, "boot-" + name[:-4], f"crashload crashverify crashseed={a.seed}",
                   disk=img)
    os.unlink(img)
    if rc != 0:
        return f"{recipe}: boot failed (status {rc}), see {a.work}/boot-{name[:-4]}.log"
    d = compare(h, image_view(out))
    return f"{recipe}: " + "; ".join(d) if d else None


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--qemu-py", required=True)
    p.add_argument("--kernel", required=True)
    p.add_argument("--tool", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--boots", type=int, default=2)
    p.add_argument("--ops-per-boot", type=int, default=300)
    p.add_argument("--sectors", type=int, default=512)
    p.add_argument("--subset-samples", type=int, default=16)
    p.add_argument("--torn-samples", type=int, default=16)
    p.add_argument("--torn-max", type=int, default=4)
    p.add_argument("--sample", type=int, default=50)
    p.add_argument("--min-states", type=int, default=0)
    p.add_argument("--no-torn", action="store_true", help="prefix and subset states only")
    p.add_argument("--expect-caught", action="store_true",
                   help="a broken build: pass only when the campaign reports failures")
    p.add_argument("--jobs", type=int, default=2)
    a = p.parse_args()
    if a.no_torn:
        a.torn_samples, a.torn_max = 0, 0
    t0 = time.time()
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    log, starts, nops = record(a)
    (states, failed, prefix, subset, torn), samples, out = host_run(a, log, starts, nops)
    for line in out.splitlines():
        if line.startswith("crash: FAIL") or line.startswith("crash-host: log "):
            print(line)
    booted, bad = 0, []
    with concurrent.futures.ThreadPoolExecutor(max_workers=a.jobs) as ex:
        for problem in ex.map(lambda s: boot_sample(a, s), samples):
            booted += 1
            if problem:
                bad.append(problem)
    for b in bad:
        print(f"crash: FAIL boot {b}")
    failed += len(bad)
    if failed:
        print(f"crash: rebuild a failing state with: {a.tool} replay --log {log} --sectors "
              f"{a.sectors} --seed {a.seed} --ops {nops} --boots {','.join(map(str, starts))} "
              f"RECIPE OUT.img")
    print(f"crash: recorded boots={a.boots} ops={nops} log={os.path.getsize(log)} bytes; "
          f"booted {booted} of {len(samples)} samples")
    ok = failed == 0 and states >= a.min_states and booted >= min(a.sample, states)
    if states < a.min_states:
        print(f"crash: only {states} states, want at least {a.min_states}")
    print(f"crash: states={states} failed={failed} prefix={prefix} subset={subset} "
          f"torn={torn} booted={booted} seconds={time.time() - t0:.0f}")
    if a.expect_caught:
        print("crash: broken build " + ("caught" if failed else "NOT caught"))
        return 0 if failed else 1
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

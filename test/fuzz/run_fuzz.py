#!/usr/bin/env python3
"""Run a libFuzzer target as a reproducible test of the `fuzz` suite.

A suite run must give the same verdict on every machine of one kind, so the
target runs a fixed number of executions from a fixed seed (`--runs`, libFuzzer
`-seed=1 -runs=N`), starting from a fresh, empty working corpus each time: the
seed corpora are read, never written, and nothing a previous run found changes
the next one. `--max-time` only caps a slow machine; stopping early explores a
prefix of the same sequence, so it can never find what the full run did not.
Address-space randomisation is turned off for the target (personality
ADDR_NO_RANDOMIZE): libFuzzer feeds compared values, pointers among them, back
into its mutations, so with ASLR on the same seed takes a different path.

Open-ended bug hunting is a separate command (docs/operations.md, "Fuzz
campaigns"): the same target with a random seed and a time limit.

On a crash the input is kept as build/meson-logs/fuzz/<name>-crash-<sha1> and
the command that replays it is printed.

usage: run_fuzz.py NAME TARGET --runs N [--max-time S] [--seeds PATH ...]
                   [-- EXTRA_LIBFUZZER_FLAGS...]
"""
import argparse
import ctypes
import os
import subprocess
import sys
import tempfile


ADDR_NO_RANDOMIZE = 0x0040000


def no_aslr() -> bool:
    """Turn ASLR off for this process and the target it starts (inherited)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        cur = libc.personality(0xFFFFFFFF)
        if cur == -1:
            return False
        return libc.personality(cur | ADDR_NO_RANDOMIZE) != -1
    except (OSError, AttributeError):
        return False


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("name", help="test name (names the crash artifact)")
    ap.add_argument("target", help="the libFuzzer executable")
    ap.add_argument("--runs", type=int, required=True, help="executions (fixed)")
    ap.add_argument("--max-time", type=int, default=120, help="cap in seconds")
    ap.add_argument("--seeds", nargs="*", default=[],
                    help="seed corpus directories or files (read only)")
    ap.add_argument("--logdir", default=None,
                    help="where a crash input is kept (default: meson-logs/fuzz)")
    argv = sys.argv[1:]
    cut = argv.index("--") if "--" in argv else len(argv)
    args = ap.parse_args(argv[:cut])
    extra = argv[cut + 1:]  # more libFuzzer flags (e.g. -max_len=256)
    if args.runs <= 0 or args.max_time <= 0:
        ap.error("--runs and --max-time must be positive")
    for flag in extra:
        if not flag.startswith("-") or flag.split("=")[0] in (
                "-seed", "-runs", "-max_total_time", "-artifact_prefix", "-reload"):
            ap.error(f"flag {flag!r} is not an extra libFuzzer option this runner allows")

    logdir = args.logdir or os.path.join(
        os.environ.get("MESON_BUILD_ROOT", os.getcwd()), "meson-logs", "fuzz")
    os.makedirs(logdir, exist_ok=True)
    dirs, files = [], []
    for s in args.seeds:
        if os.path.isdir(s):
            dirs.append(s)
        elif os.path.isfile(s):
            files.append(s)
        else:
            print(f"run_fuzz: seed {s} does not exist", file=sys.stderr)
            return 1

    if not no_aslr():
        print("run_fuzz: warning: cannot turn ASLR off; this run may not repeat "
              "another's path", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix=f"cairn-{args.name}-") as work:
        cmd = [args.target, "-seed=1", f"-runs={args.runs}",
               f"-max_total_time={args.max_time}", "-reload=0", "-error_exitcode=1",
               f"-artifact_prefix={os.path.join(logdir, args.name)}-", *extra]
        if files:
            cmd.append("-seed_inputs=" + ",".join(files))
        cmd += [work, *dirs]
        print("run_fuzz:", " ".join(cmd), flush=True)
        rc = subprocess.run(cmd).returncode
    if rc != 0:
        crashes = sorted(f for f in os.listdir(logdir) if f.startswith(args.name + "-"))
        for c in crashes:
            print(f"run_fuzz: input kept: {os.path.join(logdir, c)}\n"
                  f"run_fuzz: replay it: {args.target} {os.path.join(logdir, c)}")
        print(f"run_fuzz: {args.name} failed (exit {rc})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

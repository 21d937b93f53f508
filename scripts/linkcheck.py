#!/usr/bin/env python3
"""linkcheck: a component may only link against the kernel core and granted components.

Lists the undefined symbols of one component's objects or static libraries with
`nm`, and checks that each is defined by the component itself, by the kernel core
libraries (--core), by a component it is granted in the capability table (--lib
NAME=PATH), or by no project library at all (then it is the C library or compiler
runtime: picolibc, libgcc, the sanitizers on the host). A symbol defined by a
component the caller is not granted fails the check:

  linkcheck: shell calls keystore's keystore_get without a grant (components/capabilities.txt)

Exit 0 and write --stamp on success, 1 on a violation or error, 2 on bad usage.
Python 3 stdlib only; shares the table parser with capgen.py.
"""

import argparse
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import capgen  # noqa: E402  (same folder)


def nm_symbols(nm, path):
    """(defined, undefined) global symbol sets of an object file or static library."""
    try:
        res = subprocess.run([nm, "-g", path], capture_output=True, text=True, check=False)
    except OSError as e:
        raise RuntimeError(f"cannot run {nm}: {e}") from e
    if res.returncode != 0:
        raise RuntimeError(f"{nm} failed on {path}: {res.stderr.strip()}")
    defined, undefined = set(), set()
    for line in res.stdout.splitlines():
        parts = line.split()
        # "ADDR TYPE NAME" is defined; "TYPE NAME" (no address) is undefined, weak or not.
        if len(parts) == 3:
            defined.add(parts[2])
        elif len(parts) == 2 and parts[0] in ("U", "w", "v"):
            undefined.add(parts[1])
    return defined, undefined


def parse_libs(specs, table):
    """--lib NAME=PATH (repeatable) -> {name: [paths]}; names must be declared components."""
    libs = {}
    for spec in specs:
        name, sep, path = spec.partition("=")
        if not sep or not name or not path:
            raise ValueError(f"--lib wants NAME=PATH, got '{spec}'")
        if name not in table.components:
            raise ValueError(f"--lib names unknown component '{name}'")
        libs.setdefault(name, []).append(path)
    return libs


def providers(nm, libs, skip):
    """{symbol: [component names defining it]} over every component library but `skip`."""
    owners = {}
    for name in sorted(libs):
        if name == skip:
            continue
        for path in libs[name]:
            defined, _ = nm_symbols(nm, path)
            for sym in defined:
                owners.setdefault(sym, [])
                if name not in owners[sym]:
                    owners[sym].append(name)
    return owners


def check(args, table, cfg):
    """List violations as messages (empty when the component links cleanly)."""
    caller = args.component
    own_def, own_undef = set(), set()
    for path in args.objects:
        d, u = nm_symbols(args.nm, path)
        own_def |= d
        own_undef |= u
    core = set()
    for path in args.core:
        core |= nm_symbols(args.nm, path)[0]
    owners = providers(args.nm, parse_libs(args.lib, table), caller)
    granted = set(cfg.grants[caller])
    out = []
    for sym in sorted(own_undef - own_def - core):
        callees = owners.get(sym, [])
        if callees and not any(c in granted for c in callees):
            out += [f"linkcheck: {caller} calls {c}'s {sym} without a grant ({table.display})" for c in callees]
    return out


def main(argv=None):
    """Command line entry point."""
    ap = argparse.ArgumentParser(description="Check a component's undefined symbols against the capability table.")
    ap.add_argument("--table", required=True, help="path to components/capabilities.txt")
    ap.add_argument("--enable", help="comma-separated enabled components (default: all)")
    ap.add_argument("--disable", help="comma-separated disabled components (instead of --enable)")
    ap.add_argument("--component", required=True, help="the component whose objects are checked")
    ap.add_argument("--nm", default="nm", help="nm to use (riscv64-unknown-elf-nm for the image)")
    ap.add_argument("--core", action="append", default=[], metavar="LIB",
                    help="kernel core library or object (repeatable): always allowed")
    ap.add_argument("--lib", action="append", default=[], metavar="NAME=PATH",
                    help="a component's library or object (repeatable; the checked one is skipped)")
    ap.add_argument("--stamp", metavar="FILE", help="write FILE on success (for a custom_target)")
    ap.add_argument("objects", nargs="+", help="the component's object files or static libraries")
    args = ap.parse_args(argv)
    table, cfg = capgen.load(args.table, capgen.split_enable(args.enable), capgen.split_enable(args.disable))
    if cfg is None:
        for line in table.formatted_errors():
            print(line, file=sys.stderr)
        return 1
    if args.component not in cfg.enabled:
        what = "disabled" if args.component in table.components else "unknown"
        print(f"linkcheck: {what} component '{args.component}' ({table.display})", file=sys.stderr)
        return 1
    try:
        violations = check(args, table, cfg)
    except (RuntimeError, ValueError) as e:
        print(f"linkcheck: {e}", file=sys.stderr)
        return 1
    for v in violations:
        print(v, file=sys.stderr)
    if violations:
        return 1
    if args.stamp:
        with open(args.stamp, "w", encoding="utf-8") as f:
            f.write("ok\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""capgen: check Cairn's capability table and turn it into C, build info and a graph.

The table (components/capabilities.txt) is the one place that says which
components exist, their start order, who may call whom, who owns which disk and
who may touch which statefs keys. Syntax and rules: docs/component-model.md.

Exit status 0 when the table is valid for the enabled set, 1 on any error (every
error is printed as FILE:LINE: message), 2 on bad usage. Python 3 stdlib only.
"""

import argparse
import heapq
import json
import os
import re
import sys
from dataclasses import dataclass, field

KERNEL = "kernel"
MAX_COMPONENTS = 32  # grant rows are uint32_t bitmasks; kernel takes bit 0
DISK_SERVICE = "virtio_blk"  # disk owners must be granted this component
PREFIX_SERVICE = "statefs"  # prefix holders must be granted this component
RIGHT_BITS = {"r": 1, "w": 2, "l": 4}  # CAP_R, CAP_W, CAP_L in cap.h
# Privileges the kernel grants beyond calls (CAP_PRIV_* in cap.h). The kernel core
# never treats a component specially by name: it asks cap_has_priv().
PRIV_BITS = {
    "run_as": 1,   # create threads owned by another component (never the kernel)
    "restart": 2,  # restart components through supervisor_restart
    "crash": 4,    # make the kernel core take a fatal fault (tests the trap report)
}
# Per-component resource budgets (`budget` lines; cap_budget in cap.h). A
# component without a line gets the `budget default` line's values, and without
# that line these. The kernel core has no budget.
BUDGET_KEYS = ("heap", "pages", "threads", "handles")
BUDGET_DEFAULTS = {"heap": 256 * 1024, "pages": 64, "threads": 8, "handles": 8}
BUDGET_MIN = {"heap": 0, "pages": 0, "threads": 1, "handles": 0}  # a thread runs init
BUDGET_MAX = {"heap": 1 << 40, "pages": 1 << 24, "threads": 4096, "handles": 4096}
# Services that hand out handles from one table shared by all their callers, and
# that table's size (the C side asserts it: PKGFS_SVC_OPEN_MAX in packagefs_svc.h).
# The handles= budgets of the components granted such a service must fit its
# table together: then each of them can always open up to its own budget, whatever
# the others hold, and no one component can starve another (docs/limits.md).
HANDLE_TABLES = {"packagefs": 32}
SIZE_RE = re.compile(r"^([0-9]{1,12})([KM]?)$")
# Per-prefix statefs quotas (`prefix ... quota=SIZE keys=N`; cap_prefix in cap.h):
# bytes of keys plus values under the prefix, and live keys under it. A prefix
# without one is bounded only by the device and the engine's key cap.
PREFIX_LIMIT_KEYS = ("quota", "keys")
PREFIX_LIMIT_MAX = {"quota": 1 << 40, "keys": 1 << 24}
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
SERIAL_RE = re.compile(r"^[A-Za-z0-9_.-]{1,20}$")  # virtio-blk serials are <= 20 bytes
PREFIX_RE = re.compile(r"^/state/([A-Za-z0-9_.-]+/)+$")
KEY_SERVICE = "keystore"  # keyuse lines name keys this component owns; users must be granted it
KEY_RIGHT_BITS = {"pub": 1, "sign": 2}  # KS_RIGHT_PUB, KS_RIGHT_SIGN in keystore
KEY_NAME_RE = re.compile(r"^[a-z0-9_-][a-z0-9_.-]{0,62}$")  # keystore's key-name rule

SYNTAX = {
    "component": "component NAME option=OPT|always [needs=A,B?]",
    "grant": "grant CALLER -> CALLEE[, CALLEE?...]",
    "disk": "disk SERIAL owner=NAME mode=rw|ro",
    "prefix": "prefix /state/PATH/ NAME:RIGHTS [NAME:RIGHTS...] [quota=SIZE] [keys=N]",
    "keyuse": "keyuse OWNER/KEY NAME:pub|sign[,pub|sign] [NAME:...]",
    "privilege": "privilege NAME PRIV[,PRIV...]",
    "budget": "budget NAME|default [heap=SIZE] [pages=N] [threads=N] [handles=N]",
}


@dataclass
class Ref:
    """A reference to a component from a line; optional refs (NAME?) drop out when disabled."""
    name: str
    optional: bool
    line: int


@dataclass
class Component:
    """One `component` line."""
    name: str
    option: str  # "" when always-on
    line: int
    index: int  # position in the table, breaks start-order ties
    needs: list = field(default_factory=list)  # of Ref


@dataclass
class Grant:
    """One caller -> callee pair from a `grant` line."""
    caller: str
    callee: Ref


@dataclass
class Disk:
    """One `disk` line: an exclusive claim of a disk by serial."""
    serial: str
    owner: str
    rw: bool
    line: int


@dataclass
class Prefix:
    """One `prefix` line: statefs key rights per component."""
    prefix: str
    rights: list  # of (component name, bits)
    line: int
    limits: dict = field(default_factory=dict)  # "quota"/"keys" -> value, as given


@dataclass
class KeyUse:
    """One `keyuse` line: which components may use a keystore key, and how."""
    owner: str
    key: str
    users: list  # of (component name, bits)
    line: int


@dataclass
class Privilege:
    """One `privilege` line: kernel privileges held by a component."""
    name: str
    privs: list  # of privilege names, in line order
    line: int


@dataclass
class Budget:
    """One `budget` line: limits on what one component (or, for 'default', every
    component without a line of its own) may hold at a time."""
    name: str
    limits: dict  # key -> value, only the keys the line gives
    line: int


@dataclass
class Table:
    """A parsed capability table plus the errors found so far."""
    path: str
    display: str
    components: dict = field(default_factory=dict)  # name -> Component, table order
    grants: list = field(default_factory=list)
    disks: list = field(default_factory=list)
    prefixes: list = field(default_factory=list)
    keyuses: list = field(default_factory=list)
    privileges: list = field(default_factory=list)  # of Privilege
    budgets: list = field(default_factory=list)  # of Budget
    errors: list = field(default_factory=list)  # of (line, message)

    def error(self, line, msg):
        """Record an error at a table line (0: not tied to a line)."""
        self.errors.append((line, msg))

    def formatted_errors(self):
        """Errors as 'FILE:LINE: msg', sorted by line, stable within a line."""
        out = []
        for line, msg in sorted(self.errors, key=lambda e: e[0]):
            out.append(f"{self.display}:{line}: {msg}" if line else f"{self.display}: {msg}")
        return out


@dataclass
class Config:
    """The table resolved for one enabled set: what the generators emit."""
    enabled: list  # names in table order; ids are 1..n, kernel is 0
    grants: dict  # caller -> list of callees in table order
    order: list  # start order
    disks: list
    prefixes: list  # of (prefix, [(name, bits)])
    privs: dict = field(default_factory=dict)  # enabled name -> PRIV_BITS mask
    budgets: dict = field(default_factory=dict)  # enabled name -> {key: value}, all keys
    keyuses: list = field(default_factory=list)  # of (owner, key, [(name, bits)])
    prefix_limits: dict = field(default_factory=dict)  # prefix -> {"quota"/"keys": value}

    def comp_id(self, name):
        """Component id: kernel 0, enabled components 1..n in table order."""
        return 0 if name == KERNEL else self.enabled.index(name) + 1


def display_name(path):
    """Show the table relative to the project root (the folder with meson_options.txt)."""
    full = os.path.abspath(path)
    d = os.path.dirname(full)
    while True:
        if os.path.isfile(os.path.join(d, "meson_options.txt")):
            return os.path.relpath(full, d)
        parent = os.path.dirname(d)
        if parent == d:
            return path
        d = parent


def parse_ref(tok):
    """Split 'name?' into (name, optional)."""
    return (tok[:-1], True) if tok.endswith("?") else (tok, False)


def check_name(t, line, name, what="component"):
    """Report a malformed component name; True when well-formed."""
    if NAME_RE.match(name):
        return True
    t.error(line, f"syntax error: bad {what} name '{name}' (a-z, 0-9, _; starts with a letter; at most 31)")
    return False


def parse_component(t, line, toks):
    """Parse `component NAME option=OPT|always [needs=A,B?]`."""
    bad = f"syntax error: expected '{SYNTAX['component']}'"
    if len(toks) < 3:
        return t.error(line, bad)
    name, option, always, needs = toks[1], None, False, []
    for tok in toks[2:]:
        if tok == "always" and not always:
            always = True
        elif tok.startswith("option=") and option is None:
            option = tok[len("option="):]
        elif tok.startswith("needs=") and not needs:
            needs = [Ref(*parse_ref(n), line) for n in tok[len("needs="):].split(",")]
        else:
            return t.error(line, f"{bad}; unexpected '{tok}'")
    if always == (option is not None):
        return t.error(line, f"{bad}; give exactly one of option=OPT or always")
    if not check_name(t, line, name) or (option is not None and not check_name(t, line, option, "option")):
        return None
    if not all(check_name(t, line, r.name) for r in needs):
        return None
    if name == KERNEL:
        return t.error(line, "'kernel' is the implicit core and cannot be declared")
    if name in t.components:
        return t.error(line, f"duplicate component '{name}' (first declared at line {t.components[name].line})")
    t.components[name] = Component(name, option or "", line, len(t.components), needs)
    return None


def parse_grant(t, line, toks, raw):
    """Parse `grant CALLER -> CALLEE, CALLEE?` (spaces after commas allowed)."""
    bad = f"syntax error: expected '{SYNTAX['grant']}'"
    if len(toks) < 4 or toks[2] != "->":
        return t.error(line, bad)
    callees = [c.strip() for c in raw.split("->", 1)[1].split(",")]
    if any(not c or " " in c or "\t" in c for c in callees):
        return t.error(line, f"{bad}; separate callees with commas")
    caller = toks[1]
    refs = [Ref(*parse_ref(c), line) for c in callees]
    if not check_name(t, line, caller) or not all(check_name(t, line, r.name) for r in refs):
        return None
    for r in refs:
        t.grants.append(Grant(caller, r))
    return None


def parse_disk(t, line, toks):
    """Parse `disk SERIAL owner=NAME mode=rw|ro`."""
    bad = f"syntax error: expected '{SYNTAX['disk']}'"
    if len(toks) != 4 or not toks[2].startswith("owner=") or toks[3] not in ("mode=rw", "mode=ro"):
        return t.error(line, bad)
    serial, owner = toks[1], toks[2][len("owner="):]
    if not SERIAL_RE.match(serial):
        return t.error(line, f"syntax error: bad disk serial '{serial}' (A-Z a-z 0-9 _ . -, 1 to 20 bytes)")
    if check_name(t, line, owner):
        t.disks.append(Disk(serial, owner, toks[3] == "mode=rw", line))
    return None


def parse_rights(t, line, tok):
    """Parse 'name:rwl' into (name, bits) or None after reporting."""
    name, _, letters = tok.partition(":")
    if not letters or any(c not in RIGHT_BITS for c in letters) or len(set(letters)) != len(letters):
        t.error(line, f"syntax error: bad rights '{tok}' (NAME: then r, w, l, each at most once)")
        return None
    if not check_name(t, line, name):
        return None
    return (name, sum(RIGHT_BITS[c] for c in letters))


def parse_prefix(t, line, toks):
    """Parse `prefix /state/PATH/ NAME:RIGHTS ...`."""
    if len(toks) < 3:
        return t.error(line, f"syntax error: expected '{SYNTAX['prefix']}'")
    pfx = toks[1]
    segs = pfx.split("/")[1:-1]
    if not PREFIX_RE.match(pfx) or any(s in (".", "..") for s in segs):
        return t.error(line, f"syntax error: bad prefix '{pfx}' (/state/ then segments of "
                             "A-Z a-z 0-9 _ . -, ending in /)")
    rights, limits = [], {}
    for tok in toks[2:]:
        if "=" in tok:
            if parse_prefix_limit(t, line, tok, limits) is False:
                return None
            continue
        r = parse_rights(t, line, tok)
        if r is None:
            return None
        if any(n == r[0] for n, _ in rights):
            return t.error(line, f"duplicate rights for '{r[0]}' on prefix '{pfx}'")
        rights.append(r)
    if not rights:
        return t.error(line, f"syntax error: expected '{SYNTAX['prefix']}'")
    t.prefixes.append(Prefix(pfx, rights, line, limits))
    return None


def parse_prefix_limit(t, line, tok, limits):
    """Parse quota=SIZE (bytes, K/M suffix) or keys=N into limits; False after reporting."""
    key, _, val = tok.partition("=")
    if key not in PREFIX_LIMIT_KEYS:
        t.error(line, f"unknown prefix limit '{key}' (known: {', '.join(PREFIX_LIMIT_KEYS)})")
        return False
    if key in limits:
        t.error(line, f"prefix limit '{key}' given twice")
        return False
    v = parse_size(val) if key == "quota" else (int(val) if re.match(r"^[0-9]{1,12}$", val) else None)
    if v is None:
        want = "a number (K or M suffix allowed)" if key == "quota" else "a number"
        t.error(line, f"prefix {key}={val}: expected {want}")
        return False
    if not 1 <= v <= PREFIX_LIMIT_MAX[key]:
        t.error(line, f"prefix {key}={val}: out of range 1..{PREFIX_LIMIT_MAX[key]}")
        return False
    limits[key] = v
    return True


def parse_keyuse(t, line, toks):
    """Parse `keyuse OWNER/KEY NAME:pub,sign ...`."""
    if len(toks) < 3 or toks[1].count("/") != 1:
        return t.error(line, f"syntax error: expected '{SYNTAX['keyuse']}'")
    owner, key = toks[1].split("/")
    if not check_name(t, line, owner):
        return None
    if not KEY_NAME_RE.match(key):
        return t.error(line, f"syntax error: bad key name '{key}' (a-z 0-9 _ . -, 1 to 63 bytes, "
                             "not starting with .)")
    users = []
    for tok in toks[2:]:
        name, _, words = tok.partition(":")
        rights = words.split(",") if words else []
        if not rights or any(r not in KEY_RIGHT_BITS for r in rights) or len(set(rights)) != len(rights):
            return t.error(line, f"syntax error: bad key rights '{tok}' (NAME: then pub, sign, "
                                 "comma-separated, each at most once)")
        if not check_name(t, line, name):
            return None
        if any(n == name for n, _ in users):
            return t.error(line, f"duplicate rights for '{name}' on key '{toks[1]}'")
        users.append((name, sum(KEY_RIGHT_BITS[r] for r in rights)))
    t.keyuses.append(KeyUse(owner, key, users, line))
    return None


def parse_privilege(t, line, toks, raw):
    """Parse `privilege NAME PRIV[, PRIV]` (spaces after commas allowed)."""
    bad = f"syntax error: expected '{SYNTAX['privilege']}'"
    if len(toks) < 3:
        return t.error(line, bad)
    name = toks[1]
    privs = [p.strip() for p in raw.split(None, 2)[2].split(",")]
    if any(not p or " " in p or "\t" in p for p in privs):
        return t.error(line, f"{bad}; separate privileges with commas")
    if not check_name(t, line, name):
        return None
    for p in privs:
        if p not in PRIV_BITS:
            return t.error(line, f"unknown privilege '{p}' (known: {', '.join(PRIV_BITS)})")
    if len(set(privs)) != len(privs):
        return t.error(line, f"duplicate privilege on one line for '{name}'")
    t.privileges.append(Privilege(name, privs, line))
    return None


def parse_size(tok):
    """A budget value: decimal, optionally K (KiB) or M (MiB); None when malformed."""
    m = SIZE_RE.match(tok)
    if not m:
        return None
    return int(m.group(1)) * {"": 1, "K": 1024, "M": 1024 * 1024}[m.group(2)]


def parse_budget(t, line, toks):
    """Parse `budget NAME|default key=value...`."""
    bad = f"syntax error: expected '{SYNTAX['budget']}'"
    if len(toks) < 3:
        return t.error(line, bad)
    name = toks[1]
    if name != "default" and not check_name(t, line, name):
        return None
    limits = {}
    for tok in toks[2:]:
        key, eq, val = tok.partition("=")
        if not eq:
            return t.error(line, bad)
        if key not in BUDGET_KEYS:
            return t.error(line, f"unknown budget '{key}' (known: {', '.join(BUDGET_KEYS)})")
        if key in limits:
            return t.error(line, f"budget '{key}' given twice")
        v = parse_size(val)
        if v is None:
            return t.error(line, f"budget {key}={val}: expected a number (K or M suffix allowed)")
        if not BUDGET_MIN[key] <= v <= BUDGET_MAX[key]:
            return t.error(line, f"budget {key}={val}: out of range "
                                 f"{BUDGET_MIN[key]}..{BUDGET_MAX[key]}")
        limits[key] = v
    t.budgets.append(Budget(name, limits, line))
    return None


def parse(path):
    """Read and parse a table file; syntax errors are recorded in the result."""
    t = Table(path, display_name(path))
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        t.error(0, f"cannot read table: {e}")
        return t
    for n, raw in enumerate(text.splitlines(), start=1):
        body = raw.split("#", 1)[0]
        toks = body.split()
        if not toks:
            continue
        kind = toks[0]
        if kind == "component":
            parse_component(t, n, toks)
        elif kind == "grant":
            parse_grant(t, n, toks, body)
        elif kind == "disk":
            parse_disk(t, n, toks)
        elif kind == "prefix":
            parse_prefix(t, n, toks)
        elif kind == "privilege":
            parse_privilege(t, n, toks, body)
        elif kind == "budget":
            parse_budget(t, n, toks)
        elif kind == "keyuse":
            parse_keyuse(t, n, toks)
        else:
            t.error(n, f"syntax error: unknown directive '{kind}' "
                       "(expected component, grant, disk, prefix, privilege, budget or keyuse)")
    return t


def known(t, ref_name, line):
    """True when a referenced component is declared; reports it otherwise."""
    if ref_name == KERNEL:
        t.error(line, "'kernel' is implicit: every component may call it and it starts everything")
        return False
    if ref_name not in t.components:
        t.error(line, f"unknown component '{ref_name}'")
        return False
    return True


def check_refs(t):
    """Unknown names, self references, duplicate needs/grants, needs without grants."""
    options = {}
    for c in t.components.values():
        if c.option and c.option in options:
            t.error(c.line, f"option '{c.option}' already enables '{options[c.option]}'")
        options.setdefault(c.option, c.name)
        seen = set()
        for r in c.needs:
            if not known(t, r.name, c.line):
                continue
            if r.name == c.name:
                t.error(c.line, f"{c.name} cannot need itself")
            elif r.name in seen:
                t.error(c.line, f"{c.name} needs {r.name} twice")
            seen.add(r.name)
    pairs = {}
    for g in t.grants:
        if not known(t, g.caller, g.callee.line) or not known(t, g.callee.name, g.callee.line):
            continue
        key = (g.caller, g.callee.name)
        if g.caller == g.callee.name:
            t.error(g.callee.line, f"grant {g.caller} -> {g.caller}: a component may always call itself")
        elif key in pairs:
            t.error(g.callee.line, f"duplicate grant {g.caller} -> {g.callee.name} "
                                   f"(first at line {pairs[key].line})")
        else:
            pairs[key] = g.callee
    for c in t.components.values():
        for r in c.needs:
            if r.name in t.components and r.name != c.name and (c.name, r.name) not in pairs:
                t.error(c.line, f"{c.name} needs {r.name} but is not granted it "
                                f"(add 'grant {c.name} -> {r.name}')")
    check_constant_names(t, pairs)
    return pairs


def check_constant_names(t, pairs):
    """Two pairs must not map to one CAP_GRANT_X_Y name (e.g. a_b->c vs a->b_c)."""
    seen = {}
    for (a, b), ref in pairs.items():
        const = f"CAP_GRANT_{a.upper()}_{b.upper()}"
        if const in seen:
            t.error(ref.line, f"grant {a} -> {b} and {seen[const]} both generate {const}; rename one")
        seen[const] = f"{a} -> {b}"


def check_cycles(t):
    """Report each start-dependency cycle once, at the line of its first component."""
    state = {}  # name -> 1 visiting, 2 done
    stack = []

    def visit(name):
        """Depth-first search over needs=, in table order."""
        state[name] = 1
        stack.append(name)
        for r in t.components[name].needs:
            if r.name not in t.components or r.name == name:
                continue
            if state.get(r.name) == 1:
                cyc = stack[stack.index(r.name):] + [r.name]
                t.error(t.components[cyc[0]].line, "start dependency cycle: " + " -> ".join(cyc))
            elif r.name not in state:
                visit(r.name)
        stack.pop()
        state[name] = 2

    for name in t.components:
        if name not in state:
            visit(name)


def check_disks(t, pairs):
    """Exact duplicates, two owners for one disk, owners that cannot reach the driver."""
    first = {}
    for d in t.disks:
        if not known(t, d.owner, d.line):
            continue
        prev = first.get(d.serial)
        if prev is None:
            first[d.serial] = d
        elif prev.owner == d.owner:
            t.error(d.line, f"duplicate disk claim '{d.serial}' by {d.owner} (first at line {prev.line})")
        else:
            t.error(d.line, f"disk '{d.serial}' claimed exclusively by both {prev.owner} "
                            f"(line {prev.line}) and {d.owner}")
        if DISK_SERVICE in t.components and d.owner != DISK_SERVICE and (d.owner, DISK_SERVICE) not in pairs:
            t.error(d.line, f"{d.owner} claims disk '{d.serial}' but is not granted {DISK_SERVICE}")


def check_prefixes(t, pairs):
    """Prefixes are unique and never nest, so every key falls under at most one rule."""
    for i, p in enumerate(t.prefixes):
        for q in t.prefixes[:i]:
            if q.prefix == p.prefix:
                t.error(p.line, f"duplicate prefix '{p.prefix}' (first at line {q.line})")
            elif p.prefix.startswith(q.prefix) or q.prefix.startswith(p.prefix):
                t.error(p.line, f"prefix '{p.prefix}' overlaps '{q.prefix}' (line {q.line}); "
                                "prefixes must not nest")
        for name, _ in p.rights:
            if not known(t, name, p.line):
                continue
            if PREFIX_SERVICE in t.components and name != PREFIX_SERVICE and (name, PREFIX_SERVICE) not in pairs:
                t.error(p.line, f"{name} has rights on '{p.prefix}' but is not granted {PREFIX_SERVICE}")


def check_keyuses(t, pairs):
    """Shared keys are keystore's own; one line per key; users must reach keystore."""
    seen = {}
    for k in t.keyuses:
        ref = f"{k.owner}/{k.key}"
        if not known(t, k.owner, k.line):
            continue
        if k.owner != KEY_SERVICE:
            t.error(k.line, f"keyuse '{ref}': only keys owned by {KEY_SERVICE} can be shared "
                            "(a component's own keys are its alone)")
            continue
        if ref in seen:
            t.error(k.line, f"duplicate keyuse for '{ref}' (first at line {seen[ref]})")
        seen.setdefault(ref, k.line)
        for name, _ in k.users:
            if not known(t, name, k.line):
                continue
            if name == k.owner:
                t.error(k.line, f"keyuse '{ref}': {name} owns the key and needs no grant")
            elif (name, KEY_SERVICE) not in pairs:
                t.error(k.line, f"{name} may use key '{ref}' but is not granted {KEY_SERVICE}")


def check_privileges(t):
    """Privileges name declared components, one line per component."""
    first = {}
    for p in t.privileges:
        if not known(t, p.name, p.line):
            continue
        if p.name in first:
            t.error(p.line, f"duplicate privilege line for '{p.name}' (first at line {first[p.name]})")
        first.setdefault(p.name, p.line)


def check_budgets(t):
    """Budgets name declared components (or 'default'), one line per name."""
    first = {}
    for b in t.budgets:
        if b.name != "default" and not known(t, b.name, b.line):
            continue
        if b.name in first:
            t.error(b.line, f"duplicate budget line for '{b.name}' (first at line {first[b.name]})")
        first.setdefault(b.name, b.line)


def resolve_budgets(t, enabled):
    """Every enabled component's limits: its line, else the default line, else
    BUDGET_DEFAULTS, key by key."""
    lines = {b.name: b.limits for b in t.budgets}
    base = dict(BUDGET_DEFAULTS, **lines.get("default", {}))
    return {n: dict(base, **lines.get(n, {})) for n in enabled}


def handle_holders(enabled, grants, service):
    """The enabled components granted service (they may open its handles), table order."""
    return [n for n in enabled if n != service and service in grants[n]]


def check_handle_tables(t, enabled, grants, budgets):
    """The handles= budgets of a handle service's callers fit its shared table together."""
    for svc, size in HANDLE_TABLES.items():
        if svc not in enabled:
            continue
        holders = handle_holders(enabled, grants, svc)
        total = sum(budgets[n]["handles"] for n in holders)
        if total > size:
            parts = ", ".join(f"{n} {budgets[n]['handles']}" for n in holders)
            t.error(t.components[svc].line,
                    f"handles: the components granted {svc} may hold {total} of its handles "
                    f"together ({parts}), but its table holds {size}; lower their handles= budgets")


def check_table(t):
    """All checks that do not depend on the enabled set."""
    if len(t.components) + 1 > MAX_COMPONENTS:
        t.error(0, f"too many components ({len(t.components)}; at most {MAX_COMPONENTS - 1})")
    pairs = check_refs(t)
    check_cycles(t)
    check_disks(t, pairs)
    check_prefixes(t, pairs)
    check_privileges(t)
    check_budgets(t)
    check_keyuses(t, pairs)


def disabled_msg(t, user, verb, dep):
    """'statefs needs virtio_blk, which is disabled (option virtio_blk=false)'."""
    return f"{user} {verb} {dep}, which is disabled (option {t.components[dep].option}=false)"


def start_order(t, enabled):
    """Topological order of enabled components over needs=; ties go to table order."""
    deps = {n: {r.name for r in t.components[n].needs if r.name in enabled} for n in enabled}
    index = {n: t.components[n].index for n in enabled}
    ready = [(index[n], n) for n in enabled if not deps[n]]
    heapq.heapify(ready)
    order = []
    while ready:
        _, n = heapq.heappop(ready)
        order.append(n)
        for m in enabled:
            if n in deps[m]:
                deps[m].discard(n)
                if not deps[m]:
                    heapq.heappush(ready, (index[m], m))
    return order


def resolve(t, enable):
    """Resolve the table for an enabled set (None: all); records errors, returns Config."""
    if enable is None:
        enable = list(t.components)
    unknown = [n for n in enable if n != KERNEL and n not in t.components]
    for name in unknown:
        t.error(0, f"--enable: unknown component '{name}'")
    if unknown:
        return None
    on = {n for n, c in t.components.items() if n in enable or not c.option}
    enabled = [n for n in t.components if n in on]
    hard_need_errors = set()
    for n in enabled:
        c = t.components[n]
        for r in c.needs:
            if r.name in t.components and r.name not in on and not r.optional:
                t.error(c.line, disabled_msg(t, n, "needs", r.name))
                hard_need_errors.add((n, r.name))
    grants = {n: [] for n in enabled}
    for g in t.grants:
        if g.caller not in on or g.callee.name not in t.components:
            continue
        if g.callee.name in on:
            grants[g.caller].append(g.callee.name)
        elif not g.callee.optional and (g.caller, g.callee.name) not in hard_need_errors:
            t.error(g.callee.line, disabled_msg(t, g.caller, "is granted", g.callee.name)
                    + f"; grant it as '{g.callee.name}?' if optional")
    for n in grants:
        grants[n].sort(key=lambda x: t.components[x].index)
    disks = [d for d in t.disks if d.owner in on]
    prefixes = []
    for p in t.prefixes:
        rights = [(n, b) for n, b in p.rights if n in on]
        if rights:
            prefixes.append((p.prefix, rights))
    privs = {p.name: sum(PRIV_BITS[x] for x in p.privs) for p in t.privileges if p.name in on}
    keyuses = []
    for k in t.keyuses:
        users = [(n, b) for n, b in k.users if n in on]
        if k.owner in on and users:
            keyuses.append((k.owner, k.key, users))
    budgets = resolve_budgets(t, enabled)
    check_handle_tables(t, enabled, grants, budgets)
    cfg = Config(enabled, grants, start_order(t, enabled), disks, prefixes, privs,
                 budgets, keyuses)
    cfg.prefix_limits = {p.prefix: p.limits for p in t.prefixes}
    return cfg


def c_id(name):
    """C enum constant of a component."""
    return f"CAP_COMP_{name.upper()}"


def rights_c(bits):
    """Rights bits as CAP_R | CAP_W | CAP_L."""
    names = [f"CAP_{c.upper()}" for c, b in RIGHT_BITS.items() if bits & b]
    return " | ".join(names) if names else "0"


def prefix_limits_c(cfg, pfx):
    """The quota_bytes, quota_keys initializers of a prefix (no limit: the maximum)."""
    lim = cfg.prefix_limits.get(pfx, {})
    q = f"{lim['quota']}u" if "quota" in lim else "UINT64_MAX"
    k = f"{lim['keys']}u" if "keys" in lim else "UINT32_MAX"
    return f"{q}, {k}"


def wrap_or(head, terms, width=96):
    """'head a | b | c,' as C lines of at most ~width columns (tabs count 8)."""
    lines, cur = [], head + terms[0]
    for term in terms[1:]:
        if len(cur.expandtabs(8)) + len(term) + 3 > width:
            lines.append(cur + " |")
            cur = "\t\t" + term
        else:
            cur += " | " + term
    return lines + [cur + ","]


def emit_h(t, cfg):
    """Generated header: component ids, enabled flags, granted pairs, start order."""
    out = [f"/* Generated by scripts/capgen.py from {t.display}; do not edit. */",
           "#ifndef CAIRN_CAP_TABLE_H", "#define CAIRN_CAP_TABLE_H", "",
           "/* Component ids: kernel (the implicit core) is 0, then the enabled",
           " * components in table order. Disabled components have no id. */",
           "enum cap_comp {", f"\t{c_id(KERNEL)} = 0,"]
    out += [f"\t{c_id(n)} = {cfg.comp_id(n)}," for n in cfg.enabled]
    out += ["};", f"#define CAP_COMP_COUNT {len(cfg.enabled) + 1}", "",
            "/* Components in this image (absent when disabled). */"]
    out += [f"#define CAP_ENABLED_{n.upper()} 1" for n in cfg.enabled]
    out += ["", "/* Granted caller -> callee pairs (absent when not granted). */"]
    for n in cfg.enabled:
        out += [f"#define CAP_GRANT_{n.upper()}_{m.upper()} 1" for m in cfg.grants[n]]
    out += ["", "/* Start order: needs= topologically sorted, ties in table order. */",
            f"#define CAP_START_COUNT {len(cfg.order)}",
            "#define CAP_START_ORDER_INIT { " + ", ".join(c_id(n) for n in cfg.order) + " }",
            f"#define CAP_DISK_COUNT {len(cfg.disks)}",
            f"#define CAP_PREFIX_COUNT {len(cfg.prefixes)}", ""]
    out += emit_handles_h(cfg)
    out += emit_keyuse_h(cfg) + ["#endif", ""]
    return "\n".join(out)


def emit_handles_h(cfg):
    """Per handle service: its table size and the handles= budgets of its callers
    together (checked <= the size; the service keeps only the rest for callers
    without a budget of their own, such as the kernel core)."""
    out = []
    for svc, size in HANDLE_TABLES.items():
        if svc not in cfg.enabled:
            continue
        total = sum(cfg.budgets[n]["handles"] for n in handle_holders(cfg.enabled, cfg.grants, svc))
        out += [f"/* {svc}: shared handle table size, and the handles= budgets of the",
                " * components granted it, together. */",
                f"#define CAP_HANDLE_TABLE_{svc.upper()} {size}u",
                f"#define CAP_HANDLES_GRANTED_{svc.upper()} {total}u", ""]
    return out


def emit_keyuse_h(cfg):
    """The keyuse lines as an initializer keystore builds its policy table from:
    { owner, key, user id, rights (bit 0 pub, bit 1 sign) }, one row per user."""
    rows = [(o, k, n, b) for o, k, users in cfg.keyuses for n, b in users]
    out = ["/* keyuse lines: { owner, key, user, rights: 1 pub | 2 sign }. */",
           f"#define CAP_KEYUSE_COUNT {len(rows)}"]
    if rows:
        out.append("#define CAP_KEYUSE_INIT { \\")
        out += [f'\t{{ "{o}", "{k}", {c_id(n)}, {b} }}, \\' for o, k, n, b in rows]
        out.append("}")
    return out + [""]


def emit_c(t, cfg):
    """Generated source: the static const cap_table that cap.c looks things up in."""
    ids = [KERNEL] + cfg.enabled
    out = [f"/* Generated by scripts/capgen.py from {t.display}; do not edit. */",
           '#include "cairn/cap.h" /* includes the generated cap_table.h */', "",
           "static const char *const names[CAP_COMP_COUNT] = {"]
    out += [f'\t[{c_id(n)}] = "{n}",' for n in ids]
    out += ["};", "", "/* grants[caller] has bit callee set when caller may call callee;",
            " * every component may call itself and the kernel, the kernel calls all. */",
            "static const uint32_t grants[CAP_COMP_COUNT] = {"]
    for n in ids:
        callees = ids if n == KERNEL else [KERNEL, n] + cfg.grants[n]
        callees = sorted(set(callees), key=cfg.comp_id)
        out += wrap_or(f"\t[{c_id(n)}] = ", [f"CAP_BIT({c_id(m)})" for m in callees])
    out.append("};")
    out += ["", "/* needs[comp]: bit n set when comp starts after (and needs) n. */",
            "static const uint32_t needs[CAP_COMP_COUNT] = {"]
    for n in cfg.enabled:
        deps = [r.name for r in t.components[n].needs if r.name in cfg.enabled]
        deps = sorted(set(deps), key=cfg.comp_id)
        if deps:
            out += wrap_or(f"\t[{c_id(n)}] = ", [f"CAP_BIT({c_id(m)})" for m in deps])
    out.append("};")
    out += ["", "/* privs[comp]: CAP_PRIV_* bits the kernel grants comp (the kernel holds all). */",
            "static const uint32_t privs[CAP_COMP_COUNT] = {"]
    for n in cfg.enabled:
        if cfg.privs.get(n):
            names = [f"CAP_PRIV_{k.upper()}" for k, v in PRIV_BITS.items() if cfg.privs[n] & v]
            out += wrap_or(f"\t[{c_id(n)}] = ", names)
    out.append("};")
    out += ["", "/* budgets[comp]: what comp may hold at a time (the kernel: no limit). */",
            "static const struct cap_budget budgets[CAP_COMP_COUNT] = {",
            f"\t[{c_id(KERNEL)}] = {{ UINT64_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX }},"]
    for n in cfg.enabled:
        b = cfg.budgets[n]
        out.append(f"\t[{c_id(n)}] = {{ {b['heap']}u, {b['pages']}u, {b['threads']}u, "
                   f"{b['handles']}u }},")
    out.append("};")
    if cfg.order:
        out += ["", "static const uint8_t start_order[CAP_START_COUNT] = CAP_START_ORDER_INIT;"]
    if cfg.disks:
        out += ["", "static const struct cap_disk disks[CAP_DISK_COUNT] = {"]
        out += [f'\t{{ "{d.serial}", {c_id(d.owner)}, {"true" if d.rw else "false"} }},' for d in cfg.disks]
        out.append("};")
    for i, (pfx, rights) in enumerate(cfg.prefixes):
        out += ["", f"/* {pfx} */", f"static const uint8_t prefix{i}_rights[CAP_COMP_COUNT] = {{"]
        out += [f"\t[{c_id(n)}] = {rights_c(b)}," for n, b in rights]
        out.append("};")
    if cfg.prefixes:
        out += ["", "static const struct cap_prefix prefixes[CAP_PREFIX_COUNT] = {"]
        out += [f'\t{{ "{p}", {len(p)}, prefix{i}_rights, {prefix_limits_c(cfg, p)} }},'
                for i, (p, _) in enumerate(cfg.prefixes)]
        out.append("};")
    out += ["", "const struct cap_table cap_table = {",
            "\t.comp_count = CAP_COMP_COUNT,",
            "\t.names = names,",
            "\t.grants = grants,",
            "\t.needs = needs,",
            "\t.privs = privs,",
            "\t.budgets = budgets,",
            "\t.start_count = CAP_START_COUNT,",
            f"\t.start_order = {'start_order' if cfg.order else 'NULL'},",
            "\t.disk_count = CAP_DISK_COUNT,",
            f"\t.disks = {'disks' if cfg.disks else 'NULL'},",
            "\t.prefix_count = CAP_PREFIX_COUNT,",
            f"\t.prefixes = {'prefixes' if cfg.prefixes else 'NULL'},",
            "};", ""]
    return "\n".join(out)


def emit_components(t, cfg):
    """Generated source for the image: each enabled component's descriptor by id.
    Every enabled component must define `const struct component_desc
    component_<name>`; a missing one is a link error naming it."""
    out = [f"/* Generated by scripts/capgen.py from {t.display}; do not edit. */",
           '#include "cairn/component.h"', '#include "cairn/cap.h"', ""]
    out += [f"extern const struct component_desc component_{n};" for n in cfg.enabled]
    out += ["", "const struct component_desc *const component_table[CAP_COMP_COUNT] = {",
            f"\t[{c_id(KERNEL)}] = 0,"]
    out += [f"\t[{c_id(n)}] = &component_{n}," for n in cfg.enabled]
    out += ["};", ""]
    return "\n".join(out)


def meson_info(t, cfg):
    """Build wiring as a JSON-able dict (sorted keys, table order inside)."""
    comps = {}
    for n in cfg.enabled:
        c = t.components[n]
        comps[n] = {
            "id": cfg.comp_id(n),
            "option": c.option or None,
            "always": not c.option,
            "needs": [r.name for r in c.needs if r.name in cfg.enabled],
            "grants": cfg.grants[n],
            "disks": [{"serial": d.serial, "mode": "rw" if d.rw else "ro"} for d in cfg.disks if d.owner == n],
            "prefixes": [{"prefix": p, "rights": "".join(k for k, v in RIGHT_BITS.items() if b & v)}
                         for p, r in cfg.prefixes for m, b in r if m == n],
            "privileges": [k for k, v in PRIV_BITS.items() if cfg.privs.get(n, 0) & v],
        }
    disabled = [n for n in t.components if n not in cfg.enabled]
    return {"table": t.display, "enabled": cfg.enabled, "disabled": disabled,
            "start_order": cfg.order, "components": comps}


def emit_dot(t, cfg):
    """Graphviz: solid = needs (start after + call), dashed = grant only, grey = disabled."""
    out = ["digraph cairn_capabilities {", "    rankdir=BT;",
           '    node [shape=box, fontname="monospace"];', '    kernel [shape=doubleoctagon];']
    for n, c in t.components.items():
        label = n if c.option else f"{n}\\n(always)"
        style = "" if n in cfg.enabled else ", style=dashed, color=grey, fontcolor=grey"
        out.append(f'    {n} [label="{label}"{style}];')
    for g in t.grants:
        caller, callee = g.caller, g.callee.name
        need = any(r.name == callee for r in t.components[caller].needs)
        live = caller in cfg.enabled and callee in cfg.enabled
        attrs = [] if need else ["style=dashed"]
        if not live:
            attrs.append("color=grey")
        out.append(f"    {caller} -> {callee}" + (f" [{', '.join(attrs)}]" if attrs else "") + ";")
    for d in t.disks:
        out.append(f'    "disk:{d.serial}" [shape=cylinder];')
        out.append(f'    {d.owner} -> "disk:{d.serial}" [label="{"rw" if d.rw else "ro"}", arrowhead=none];')
    for p in t.prefixes:
        out.append(f'    "{p.prefix}" [shape=note];')
        for n, b in p.rights:
            letters = "".join(k for k, v in RIGHT_BITS.items() if b & v)
            out.append(f'    {n} -> "{p.prefix}" [label="{letters}", arrowhead=none, style=dotted];')
    out += ["}", ""]
    return "\n".join(out)


def declared_options(path):
    """Option names declared in a meson_options.txt (option('NAME', ...))."""
    with open(path, encoding="utf-8") as f:
        return set(re.findall(r"^\s*option\(\s*'([A-Za-z0-9_]+)'", f.read(), re.M))


def print_item(t, cfg, what, meson_options=None):
    """One line for meson's run_command: enabled, disabled, order, options, toggles, grants:NAME."""
    if what == "enabled":
        return " ".join(cfg.enabled)
    if what == "disabled":
        return " ".join(n for n in t.components if n not in cfg.enabled)
    if what == "order":
        return " ".join(cfg.order)
    if what == "components":
        return " ".join(t.components)
    if what == "options":
        return " ".join(f"{n}={c.option or '-'}" for n, c in t.components.items())
    if what == "toggles" and meson_options is not None:
        return " ".join(f"{n}={c.option}" for n, c in t.components.items() if c.option in meson_options)
    if what.startswith("grants:") and what[7:] in cfg.grants:
        return " ".join(cfg.grants[what[7:]])
    if what.startswith("incs:") and what[5:] in cfg.grants:
        # The include path a component is compiled with, besides its own folder
        # and the kernel core's: the public include/ folder of each granted
        # callee, relative to the table's folder (components/).
        return " ".join(f"{m}/include" for m in cfg.grants[what[5:]])
    raise ValueError(what)


def write(path, text):
    """Write only when the content changed, so ninja does not rebuild needlessly."""
    if path == "-":
        sys.stdout.write(text)
        return
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except OSError:
        pass
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def load(path, enable, disable=None):
    """Parse, check and resolve; returns (table, config or None when errors)."""
    t = parse(path)
    if t.errors:
        return t, None
    check_table(t)
    if t.errors:
        return t, None
    enable = enabled_set(t, enable, disable)
    if t.errors:
        return t, None
    cfg = resolve(t, enable)
    return t, (None if t.errors else cfg)


def enabled_set(t, enable, disable):
    """Names to enable from --enable or --disable lists (None, None: all)."""
    if disable is None:
        return enable
    for name in disable:
        if name not in t.components:
            t.error(0, f"--disable: unknown component '{name}'")
        elif not t.components[name].option:
            t.error(0, f"--disable: {name} is always on")
    return [n for n in t.components if n not in disable]


def split_enable(value):
    """'a,b, c' -> ['a', 'b', 'c']; None stays None (all enabled)."""
    if value is None:
        return None
    return [x.strip() for x in value.replace(" ", ",").split(",") if x.strip()]


def main(argv=None):
    """Command line entry point."""
    ap = argparse.ArgumentParser(description="Check the Cairn capability table and generate from it.")
    ap.add_argument("--table", required=True, help="path to components/capabilities.txt")
    ap.add_argument("--enable", help="comma-separated enabled components (default: all); "
                                     "always-on components are enabled regardless")
    ap.add_argument("--disable", help="comma-separated disabled components (instead of --enable)")
    ap.add_argument("--meson-options", metavar="FILE", help="meson_options.txt, for --print toggles")
    ap.add_argument("--emit-c", metavar="OUT.c", help="write the static const table")
    ap.add_argument("--emit-h", metavar="OUT.h", help="write ids, CAP_GRANT_* pairs, start order")
    ap.add_argument("--emit-components", metavar="OUT.c",
                    help="write the image's component descriptor table (needs cairn/component.h)")
    ap.add_argument("--emit-meson-info", metavar="OUT.json", help="write build wiring as JSON ('-': stdout)")
    ap.add_argument("--dot", metavar="OUT.dot", help="write a Graphviz graph ('-': stdout)")
    ap.add_argument("--print", action="append", default=[], metavar="WHAT",
                    help="print one line: components (all, table order), enabled, disabled, order, options (NAME=OPT, - for always), "
                         "toggles (NAME=OPT for options declared in --meson-options), grants:NAME or "
                         "incs:NAME (granted callees' include/ folders, relative to the table)")
    ap.add_argument("--stamp", metavar="FILE", help="touch FILE on success (for custom_target)")
    args = ap.parse_args(argv)
    if args.emit_c and (not args.emit_h or os.path.basename(args.emit_h) != "cap_table.h"):
        ap.error("--emit-c needs --emit-h .../cap_table.h (cap.h includes it by that name)")
    if args.enable is not None and args.disable is not None:
        ap.error("give --enable or --disable, not both")
    t, cfg = load(args.table, split_enable(args.enable), split_enable(args.disable))
    if cfg is None:
        for line in t.formatted_errors():
            print(line, file=sys.stderr)
        return 1
    opts = declared_options(args.meson_options) if args.meson_options else None
    for what in args.print:
        try:
            print(print_item(t, cfg, what, opts))
        except ValueError:
            ap.error(f"--print: unknown item '{what}'")
    if args.emit_h:
        write(args.emit_h, emit_h(t, cfg))
    if args.emit_c:
        write(args.emit_c, emit_c(t, cfg))
    if args.emit_components:
        write(args.emit_components, emit_components(t, cfg))
    if args.emit_meson_info:
        write(args.emit_meson_info, json.dumps(meson_info(t, cfg), indent=2, sort_keys=True) + "\n")
    if args.dot:
        write(args.dot, emit_dot(t, cfg))
    if args.stamp:
        write(args.stamp, "ok\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The boot timeline line (src/kern/timeline.c, docs/architecture.md): parse it
and check it against the rest of a boot's UART log. Used by qemu.py
(--check-timeline) and by the boot benchmark (bench/image/run_boot_bench.py).

  cairn: timeline us fw=<f> dtb=<..> sbi=<..> mem=<..> mmu=<..> plic=<..>
      harts=<..> ipi=<..> sched=<..> comps=<..> ready=<..> total=<t>
      | hart<id>=<us>... | <comp>=<init>+<start>... <comp>.<span>=<us>...
"""
import re

PHASES = ("dtb", "sbi", "mem", "mmu", "plic", "harts", "ipi", "sched", "comps", "ready")
PREFIX = "cairn: timeline us "
READY = re.compile(r"cairn: ready t=(\d+) harts=(\d+) timer=\S+")
COMP_LINE = re.compile(r"cairn: component (\S+) (up|failed err=.*)")
HART = re.compile(r"hart(\d+)=(\d+)")
COMP = re.compile(r"([A-Za-z0-9_]+)=(\d+)\+(\d+)")
SPAN = re.compile(r"([A-Za-z0-9_]+)\.([A-Za-z0-9_-]+)=(\d+)")


class TimelineError(ValueError):
    """The line is missing, malformed or inconsistent; str() says how."""


def parse(line):
    """The fields of one timeline line: {"fw", "phases": {name: µs}, "total",
    "harts": [(hartid, µs)], "comps": [(name, init, start)], "spans": [(comp,
    what, µs)]}. Raises TimelineError on any deviation from the format."""
    if not line.startswith(PREFIX):
        raise TimelineError(f"not a timeline line: {line!r}")
    parts = line[len(PREFIX):].split(" |")
    if len(parts) != 3:
        raise TimelineError(f"expected 3 sections separated by ' |': {line!r}")
    head = parts[0].split()
    names = ["fw"] + list(PHASES) + ["total"]
    if [f.split("=", 1)[0] for f in head] != names:
        raise TimelineError(f"phases are not {' '.join(names)}: {parts[0]!r}")
    vals = {}
    for f in head:
        k, v = f.split("=", 1)
        if not re.fullmatch(r"-?\d+", v):
            raise TimelineError(f"{k}={v}: not a number (a phase the boot never marked?)")
        vals[k] = int(v)
    out = {"fw": vals["fw"], "total": vals["total"],
           "phases": {p: vals[p] for p in PHASES}, "harts": [], "comps": [], "spans": []}
    for f in parts[1].split():
        m = HART.fullmatch(f)
        if not m:
            raise TimelineError(f"bad hart entry {f!r}")
        out["harts"].append((int(m[1]), int(m[2])))
    for f in parts[2].split():
        m, s = COMP.fullmatch(f), SPAN.fullmatch(f)
        if m:
            out["comps"].append((m[1], int(m[2]), int(m[3])))
        elif s:
            out["spans"].append((s[1], s[2], int(s[3])))
        else:
            raise TimelineError(f"bad component entry {f!r} (a cut line ends in '...')")
    return out


def check_log(text):
    """Find the timeline line in a boot log and check it: printed once, after
    `cairn: ready`; phases non-negative (marks in order) and adding up to the
    ready time; every started hart and every component the supervisor ran
    listed (each hart's start within the harts phase, the components' sum
    within comps), in start order; a span within its
    component's time; statefs.mount and packagefs.mount present when those
    mounted. Returns the parsed line; raises TimelineError."""
    lines = [l.strip() for l in text.split("\n")]
    tl = [i for i, l in enumerate(lines) if l.startswith(PREFIX)]
    rd = [i for i, l in enumerate(lines) if READY.fullmatch(l)]
    if len(tl) != 1 or len(rd) != 1:
        raise TimelineError(f"{len(tl)} timeline lines and {len(rd)} ready lines, expected 1 each")
    if tl[0] < rd[0]:
        raise TimelineError("the timeline line comes before `cairn: ready`")
    t = parse(lines[tl[0]])
    ready = READY.fullmatch(lines[rd[0]])
    total, nharts = int(ready[1]), int(ready[2])
    if t["total"] != total:
        raise TimelineError(f"total={t['total']} but cairn: ready t={total}")
    for name, us in t["phases"].items():
        if us < 0 or us > total:
            raise TimelineError(f"{name}={us} outside 0..total={total}: marks out of order")
    if sum(t["phases"].values()) != total:
        raise TimelineError(f"phases add up to {sum(t['phases'].values())}, not total={total}")
    if t["fw"] < 0:
        raise TimelineError(f"fw={t['fw']} negative")
    if len(t["harts"]) != nharts - 1:
        raise TimelineError(f"{len(t['harts'])} hart entries for {nharts} harts (boot hart excluded)")
    online = {int(m[1]) for m in re.finditer(r"^cairn: hart(\d+) online$", text, re.M)}
    for hid, _ in t["harts"]:
        if hid not in online:
            raise TimelineError(f"hart{hid} listed but never printed online")
    # The harts start in parallel: each start lies within the phase, not their sum.
    for hid, us in t["harts"]:
        if us > t["phases"]["harts"]:
            raise TimelineError(f"hart{hid}={us} longer than the harts phase")
    ran = [m[1] for m in map(COMP_LINE.fullmatch, lines[:rd[0]]) if m]
    if [c for c, _, _ in t["comps"]] != ran:
        raise TimelineError(f"components {[c for c, _, _ in t['comps']]}, expected {ran} "
                            "(every component the supervisor ran, in start order)")
    comp_us = {c: i + s for c, i, s in t["comps"]}
    if sum(comp_us.values()) > t["phases"]["comps"]:
        raise TimelineError("the components' init+start add up to more than the comps phase")
    for c, what, us in t["spans"]:
        if c not in comp_us or us > comp_us[c]:
            raise TimelineError(f"span {c}.{what}={us} not within {c}'s init+start")
    spans = {(c, w) for c, w, _ in t["spans"]}
    before = "\n".join(lines[:rd[0]])
    if "statefs: ready" in before and ("statefs", "mount") not in spans:
        raise TimelineError("statefs mounted but no statefs.mount span")
    if re.search(r"^pkgfs: mounted ", before, re.M) and ("packagefs", "mount") not in spans:
        raise TimelineError("packagefs mounted but no packagefs.mount span")
    return t

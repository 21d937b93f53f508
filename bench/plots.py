#!/usr/bin/env python3
"""PNG plots of the benchmark figures (`./cairn bench` runs this last).

  plots.py [BENCH_DIR]      (default build/bench)

Reads the data files the benchmarks wrote into BENCH_DIR and writes one PNG per
figure beside them (docs/benchmarks.md, Pictures):

  statefs_mount.png    statefs mount time against journal size (host; benchmark
                       `statefs`, statefs_mount.json)
  statefs_writers.png  put+sync throughput against writer threads (in the image;
                       `statefs_image`, statefs_writers.json)
  blk_qd.png           virtio-blk random 4 KiB throughput against queue depth,
                       guest and host (`image`, image.json)
  boot.png             boot phases on 1 and 4 harts (`boot`, boot.json)

A figure whose data file is missing or unreadable is skipped with a note (its
benchmark was not run, or failed); without matplotlib (Debian package
python3-matplotlib) nothing is drawn. Either way the exit status is 0: pictures
never fail the benchmarks. Exit 1 only for a bad command line.
"""
import json
import os
import statistics
import sys


def load(path):
    """The JSON in path, or None (said why) when absent or unreadable."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        print(f"plots: {path}: unreadable ({e})")
        return None


def plot_mount(plt, d, out):
    pts = sorted(d["mount"], key=lambda p: p["journal_mib"])
    fig, ax = plt.subplots(figsize=(6, 4))
    x = [p["journal_mib"] for p in pts]
    ax.plot(x, [p["ms"] for p in pts], "o-", label="full replay")
    if all("ckpt_ms" in p for p in pts):
        ax.plot(x, [p["ckpt_ms"] for p in pts], "s-", label="from a checkpoint (unmount)")
        crash = [p for p in pts if p.get("crash_ms", -1) >= 0]
        if crash:
            ax.plot([p["journal_mib"] for p in crash], [p["crash_ms"] for p in crash], "^-",
                    label="checkpoint + 1 MiB replay (crash)")
        ax.set_yscale("log")
        ax.legend(fontsize=8)
    for p in pts:
        ax.annotate(f"{p['records']} rec", (p["journal_mib"], p["ms"]),
                    textcoords="offset points", xytext=(4, -12), fontsize=8)
    ax.set_xscale("log", base=2)
    ax.set_xticks([p["journal_mib"] for p in pts])
    ax.set_xticklabels([str(p["journal_mib"]) for p in pts])
    ax.set_xlabel("journal size (MiB, nearly full, 4 KiB values)")
    ax.set_ylabel("mount time (ms, best of 3)")
    ax.set_title("statefs mount time against journal size (host)")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def plot_writers(plt, d, out):
    w = sorted((int(n), v) for n, v in d["writers"].items())
    fig, ax = plt.subplots(figsize=(6, 4))
    xs = [n for n, _ in w]
    ax.plot(xs, [statistics.median(v) for _, v in w], "o-", label="median over boots")
    ax.fill_between(xs, [min(v) for _, v in w], [max(v) for _, v in w], alpha=0.2,
                    label="range")
    ax.set_xscale("log", base=2)
    ax.set_xticks(xs)
    ax.set_xticklabels([str(n) for n in xs])
    ax.set_ylim(bottom=0)
    ax.set_xlabel("writer threads (each: put 100 B to its own key, sync)")
    ax.set_ylabel("put+sync per second, all threads")
    ax.set_title("statefs put+sync against writer threads (image, TCG)")
    ax.legend()
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def plot_qd(plt, d, out):
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for phase, mark in (("rand-read", "o"), ("rand-write", "s")):
        rows = sorted((r for r in d["blk"] if r["phase"] == phase and r["bs"] == 4096),
                      key=lambda r: r["qd"])
        if not rows:
            continue
        qd = [r["qd"] for r in rows]
        ax.plot(qd, [r["guest_mbs"] for r in rows], mark + "-", label=f"{phase} guest")
        ax.plot(qd, [r["host_mbs"] for r in rows], mark + "--", label=f"{phase} host (fio)")
    ax.set_xscale("log", base=2)
    ax.set_xticks([1, 2, 4, 8, 16])
    ax.set_xticklabels(["1", "2", "4", "8", "16"])
    ax.set_yscale("log")
    ax.set_xlabel("queue depth (threads, one request each)")
    ax.set_ylabel("MB/s (log)")
    ax.set_title("virtio-blk random 4 KiB against queue depth, guest and host")
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


PHASES = ("dtb", "sbi", "mem", "mmu", "plic", "harts", "ipi", "sched", "comps", "ready")


def plot_boot(plt, d, out):
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    labels = [f"{n} hart{'s' if n != '1' else ''}" for n in d]
    left = [0.0] * len(d)
    for ph in PHASES:
        w = [statistics.median(t["phases"][ph] for t in runs) / 1000 for runs in d.values()]
        ax.barh(labels, w, left=left, label=ph)
        left = [a + b for a, b in zip(left, w)]
    ax.set_xlabel("ms from _start to cairn: ready (median per phase over boots)")
    ax.set_title("boot timeline, QEMU TCG, no disks")
    ax.legend(ncol=5, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.28))
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


FIGURES = [  # (png, data file, benchmark, draw)
    ("statefs_mount.png", "statefs_mount.json", "statefs", plot_mount),
    ("statefs_writers.png", "statefs_writers.json", "statefs_image", plot_writers),
    ("blk_qd.png", "image.json", "image", plot_qd),
    ("boot.png", "boot.json", "boot", plot_boot),
]


def main(argv):
    if len(argv) > 2:
        print(__doc__, file=sys.stderr)
        return 1
    bench_dir = argv[1] if len(argv) > 1 else "build/bench"
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"plots: matplotlib not available to {sys.executable} (Debian package "
              "python3-matplotlib, installed by ./cairn setup): no pictures drawn")
        return 0
    drawn = 0
    for png, data, bench, draw in FIGURES:
        d = load(os.path.join(bench_dir, data))
        if d is None:
            print(f"plots: {png}: skipped, no {data} (run the `{bench}` benchmark)")
            continue
        out = os.path.join(bench_dir, png)
        try:
            draw(plt, d, out)
        except (KeyError, TypeError, ValueError, statistics.StatisticsError) as e:
            print(f"plots: {png}: skipped, {data} not understood ({e!r})")
            continue
        drawn += 1
        print(f"plots: wrote {out}")
    print(f"plots: {drawn} of {len(FIGURES)} pictures in {bench_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

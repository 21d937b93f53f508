#!/usr/bin/env python3
"""Tests for bench/plots.py (meson test bench_plots, suite: unit): pictures never
fail the benchmarks. An empty folder, a malformed data file and a python
without matplotlib all exit 0 with a note per figure; with matplotlib (the
python3 that sees Debian's python3-matplotlib, when there is one) each data file
gives its PNG and a missing one is skipped."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

PLOTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "plots.py")


def with_matplotlib():
    """A python interpreter that can import matplotlib, or None."""
    for py in (sys.executable, "/usr/bin/python3"):
        if os.path.exists(py) and subprocess.run([py, "-c", "import matplotlib"],
                                                 capture_output=True).returncode == 0:
            return py
    return None


def run(py, folder):
    r = subprocess.run([py, PLOTS, folder], capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


DATA = {
    "statefs_mount.json": {"mount": [{"journal_mib": 1, "records": 200, "puts": 200, "ms": 1.5},
                                     {"journal_mib": 16, "records": 3600, "puts": 3600,
                                      "ms": 20.0}]},
    "statefs_writers.json": {"writers": {"1": [700.0, 720.0], "2": [600.0], "4": [280.0]}},
    "image.json": {"blk": [{"phase": p, "bs": 4096, "qd": q, "guest_mbs": 1.0 * q,
                            "guest_iops": 250 * q, "host_mbs": 9.0 * q, "host_iops": 2000 * q}
                           for p in ("rand-read", "rand-write") for q in (1, 2, 4, 8, 16)]},
}


class PlotsTest(unittest.TestCase):
    def test_empty_folder_skips_every_figure(self):
        with tempfile.TemporaryDirectory() as d:
            rc, out = run(sys.executable, d)
            self.assertEqual(rc, 0, out)
            if "matplotlib not available" not in out:
                self.assertEqual(out.count("skipped, no "), 4, out)
            self.assertFalse([f for f in os.listdir(d) if f.endswith(".png")])

    def test_without_matplotlib_nothing_fails(self):
        with tempfile.TemporaryDirectory() as d:
            os.makedirs(os.path.join(d, "matplotlib"))
            with open(os.path.join(d, "matplotlib", "__init__.py"), "w") as f:
                f.write("raise ImportError('hidden for the test')\n")
            env = dict(os.environ, PYTHONPATH=d)
            r = subprocess.run([sys.executable, PLOTS, d], capture_output=True, text=True,
                               env=env)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("matplotlib not available", r.stdout)

    def test_each_data_file_gives_its_png(self):
        py = with_matplotlib()
        if not py:
            self.skipTest("no python3 with matplotlib here")
        with tempfile.TemporaryDirectory() as d:
            for name, data in DATA.items():
                with open(os.path.join(d, name), "w") as f:
                    json.dump(data, f)
            with open(os.path.join(d, "boot.json"), "w") as f:
                f.write("{not json")  # a broken file: skipped, not fatal
            rc, out = run(py, d)
            self.assertEqual(rc, 0, out)
            pngs = sorted(f for f in os.listdir(d) if f.endswith(".png"))
            self.assertEqual(pngs, ["blk_qd.png", "statefs_mount.png", "statefs_writers.png"],
                             out)
            for p in pngs:
                with open(os.path.join(d, p), "rb") as f:
                    self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")
            self.assertIn("boot.json: unreadable", out)
            self.assertIn("3 of 4 pictures", out)

    def test_malformed_data_is_skipped(self):
        py = with_matplotlib()
        if not py:
            self.skipTest("no python3 with matplotlib here")
        with tempfile.TemporaryDirectory() as d:
            with open(os.path.join(d, "image.json"), "w") as f:
                json.dump({"blk": [{"phase": "rand-read"}]}, f)  # fields missing
            rc, out = run(py, d)
            self.assertEqual(rc, 0, out)
            self.assertIn("blk_qd.png: skipped, image.json not understood", out)


if __name__ == "__main__":
    unittest.main()

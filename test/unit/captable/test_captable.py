#!/usr/bin/env python3
"""Tests for scripts/capgen.py and scripts/linkcheck.py (meson suite: unit, cap).

Each bad/*.txt fixture starts with '# expect: LINE: message' (and optionally
'# enable: a,b'); capgen must fail with exactly 'FILE:LINE: message' on stderr.
The linkcheck tests compile tiny C files with the host cc (CAPTEST_CC, default
cc) and, when available, the RISC-V cross compiler (CAPTEST_CROSS_CC).
"""

import glob
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
CAPGEN = os.path.join(ROOT, "scripts", "capgen.py")
LINKCHECK = os.path.join(ROOT, "scripts", "linkcheck.py")
TABLE = "components/capabilities.txt"


def run(script, *args):
    """Run a script from the project root; returns (status, stdout, stderr)."""
    res = subprocess.run([sys.executable, script, *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return res.returncode, res.stdout, res.stderr


def fixture_header(path):
    """The '# key: value' lines at the top of a fixture, as a dict."""
    meta = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.startswith("# ") or ":" not in line:
                break
            key, _, value = line[2:].partition(":")
            meta[key.strip()] = value.strip()
    return meta


class BadTables(unittest.TestCase):
    """Every bad fixture fails with its exact message and line."""

    def test_bad_fixtures_fail_with_exact_message(self):
        fixtures = sorted(glob.glob(os.path.join(HERE, "bad", "*.txt")))
        self.assertGreaterEqual(len(fixtures), 6)
        for path in fixtures:
            rel = os.path.relpath(path, ROOT)
            with self.subTest(fixture=os.path.basename(path)):
                meta = fixture_header(path)
                args = ["--table", rel]
                if "enable" in meta:
                    args += ["--enable", meta["enable"]]
                status, out, err = run(CAPGEN, *args)
                self.assertEqual(status, 1)
                self.assertEqual(out, "")
                self.assertEqual(err, f"{rel}:{meta['expect']}\n")

    def test_disabled_message_names_both(self):
        status, _, err = run(CAPGEN, "--table", TABLE, "--disable", "virtio_blk")
        self.assertEqual(status, 1)
        self.assertIn(f"{TABLE}:23: statefs needs virtio_blk, which is disabled (option virtio_blk=false)\n", err)

    def test_unknown_enable_name(self):
        status, _, err = run(CAPGEN, "--table", TABLE, "--enable", "statefs,statfs")
        self.assertEqual(status, 1)
        self.assertEqual(err, f"{TABLE}: --enable: unknown component 'statfs'\n")

    def test_cannot_disable_always_on(self):
        ties = "test/unit/captable/good/ties.txt"
        status, _, err = run(CAPGEN, "--table", ties, "--disable", "x")
        self.assertEqual(status, 1)
        self.assertEqual(err, f"{ties}: --disable: x is always on\n")

    def test_missing_table(self):
        status, _, err = run(CAPGEN, "--table", "components/nonexistent.txt")
        self.assertEqual(status, 1)
        self.assertTrue(err.startswith("components/nonexistent.txt: cannot read table:"), err)


class GoodTable(unittest.TestCase):
    """The real table passes, and its outputs are deterministic and as designed."""

    def emit(self, outdir, *extra):
        """Run every emitter into outdir; returns {file name: bytes}."""
        status, out, err = run(CAPGEN, "--table", TABLE, *extra,
                               "--emit-h", os.path.join(outdir, "cap_table.h"),
                               "--emit-c", os.path.join(outdir, "cap_table.c"),
                               "--emit-meson-info", os.path.join(outdir, "info.json"),
                               "--dot", os.path.join(outdir, "graph.dot"))
        self.assertEqual((status, err), (0, ""))
        result = {}
        for name in sorted(os.listdir(outdir)):
            with open(os.path.join(outdir, name), "rb") as f:
                result[name] = f.read()
        return result

    def test_outputs_are_byte_identical_across_runs(self):
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            first, second = self.emit(a), self.emit(b)
        self.assertEqual(sorted(first), ["cap_table.c", "cap_table.h", "graph.dot", "info.json"])
        self.assertEqual(first, second)

    def test_start_order_and_grants(self):
        status, out, err = run(CAPGEN, "--table", TABLE, "--print", "order", "--print", "grants:keystore",
                               "--print", "grants:shell")
        self.assertEqual((status, err), (0, ""))
        self.assertEqual(out.splitlines(), [
            "virtio_blk virtio_rng crypto statefs keystore bootctl packagefs shell selftest faulttest",
            "virtio_blk virtio_rng crypto statefs",
            "statefs keystore bootctl packagefs"])

    def test_optional_grants_drop_out(self):
        status, out, err = run(CAPGEN, "--table", TABLE, "--disable", "packagefs,bootctl",
                               "--print", "grants:shell", "--print", "enabled")
        self.assertEqual((status, err), (0, ""))
        self.assertEqual(out.splitlines(), ["statefs keystore", "virtio_blk virtio_rng crypto statefs keystore shell selftest faulttest"])

    def test_always_on_survives_empty_enable(self):
        status, out, _ = run(CAPGEN, "--table", "test/unit/captable/good/ties.txt", "--enable", "",
                             "--print", "enabled")
        self.assertEqual((status, out), (0, "x\n"))

    def test_ties_follow_table_order(self):
        status, out, err = run(CAPGEN, "--table", "test/unit/captable/good/ties.txt", "--print", "order")
        self.assertEqual((status, err, out), (0, "", "y z x\n"))

    def test_keyuse_rows_follow_the_enabled_set(self):
        with tempfile.TemporaryDirectory() as d:
            full = self.emit(d)["cap_table.h"].decode()
        with tempfile.TemporaryDirectory() as d:
            no_shell = self.emit(d, "--disable", "shell")["cap_table.h"].decode()
        self.assertIn("#define CAP_KEYUSE_COUNT 2\n", full)
        self.assertIn('\t{ "keystore", "device", CAP_COMP_SHELL, 3 }, \\\n', full)
        self.assertIn('\t{ "keystore", "device", CAP_COMP_SELFTEST, 1 }, \\\n', full)
        self.assertIn("#define CAP_KEYUSE_COUNT 1\n", no_shell)
        self.assertNotIn("CAP_COMP_SHELL", no_shell)

    def test_header_has_ids_pairs_and_order(self):
        with tempfile.TemporaryDirectory() as d:
            files = self.emit(d, "--disable", "shell")
        h = files["cap_table.h"].decode()
        self.assertIn("\tCAP_COMP_KERNEL = 0,\n\tCAP_COMP_VIRTIO_BLK = 1,\n", h)
        self.assertIn("#define CAP_GRANT_STATEFS_VIRTIO_BLK 1\n", h)
        self.assertNotIn("CAP_GRANT_SHELL", h)
        self.assertNotIn("CAP_ENABLED_SHELL", h)
        self.assertNotIn("CAP_GRANT_VIRTIO_BLK_STATEFS", h)
        info = json.loads(files["info.json"])
        self.assertEqual(info["disabled"], ["shell"])
        self.assertEqual(info["components"]["keystore"]["prefixes"],
                         [{"prefix": "/state/statefs/", "rights": "r"},
                          {"prefix": "/state/keystore/", "rights": "rwl"}])
        self.assertEqual(info["components"]["packagefs"]["disks"],
                         [{"serial": s, "mode": "ro"} for s in ("pkgfs", "pkg_a", "pkg_b")])

    def test_keystore_prefix_is_keystore_alone(self):
        with tempfile.TemporaryDirectory() as d:
            info = json.loads(self.emit(d)["info.json"])
        holders = [n for n, c in info["components"].items()
                   if any(p["prefix"] == "/state/keystore/" for p in c["prefixes"])]
        writers = [n for n, c in info["components"].items()
                   if any(p["prefix"] == "/state/boot/" and "w" in p["rights"] for p in c["prefixes"])]
        self.assertEqual((holders, writers), (["keystore"], ["bootctl"]))

    def test_budgets_fall_back_to_default_line_then_builtin(self):
        with tempfile.TemporaryDirectory() as d:
            c = os.path.join(d, "cap_table.c")
            status, _, err = run(CAPGEN, "--table", "test/unit/captable/good/budgets.txt",
                                 "--emit-h", os.path.join(d, "cap_table.h"), "--emit-c", c)
            self.assertEqual((status, err), (0, ""))
            with open(c, encoding="utf-8") as f:
                text = f.read()
        # heap, pages, threads, handles: a takes the default line (threads=3) over
        # the built-in defaults; b overrides heap and handles; the kernel is unlimited.
        self.assertIn("[CAP_COMP_KERNEL] = { UINT64_MAX, UINT32_MAX, UINT32_MAX, UINT32_MAX },", text)
        self.assertIn("[CAP_COMP_A] = { 262144u, 64u, 3u, 8u },", text)
        self.assertIn("[CAP_COMP_B] = { 2097152u, 64u, 3u, 5u },", text)

    def test_handle_budgets_are_reservations_in_the_shared_table(self):
        # A component granted packagefs reserves its handles= budget in the shared
        # table; the sum is emitted for the C side to assert, per enabled set.
        good = "test/unit/captable/good/handles.txt"
        with tempfile.TemporaryDirectory() as d:
            h = os.path.join(d, "cap_table.h")
            status, _, err = run(CAPGEN, "--table", good, "--enable", "", "--emit-h", h)
            self.assertEqual((status, err), (0, ""))
            with open(h, encoding="utf-8") as f:
                text = f.read()
        self.assertIn("#define CAP_HANDLE_TABLE_PACKAGEFS 32u\n", text)
        self.assertIn("#define CAP_HANDLES_GRANTED_PACKAGEFS 32u\n", text)
        status, _, err = run(CAPGEN, "--table", good, "--enable", "d")
        self.assertEqual(status, 1)
        self.assertEqual(err, f"{good}:4: handles: the components granted packagefs may hold 40 of "
                              "its handles together (a 24, b 8, d 8), but its table holds 32; "
                              "lower their handles= budgets\n")
        # The real table: selftest 16 + shell 8 + faulttest 8 fill it exactly.
        with tempfile.TemporaryDirectory() as d:
            real = self.emit(d)["cap_table.h"].decode()
        self.assertIn("#define CAP_HANDLES_GRANTED_PACKAGEFS 32u\n", real)

    def test_docs_show_the_current_table(self):
        with open(os.path.join(ROOT, TABLE), encoding="utf-8") as f:
            table = f.read()
        with open(os.path.join(ROOT, "docs", "component-model.md"), encoding="utf-8") as f:
            self.assertIn("```\n" + table + "```\n", f.read(), "update the table in docs/component-model.md")

    def test_toggles_follow_meson_options(self):
        with tempfile.TemporaryDirectory() as d:
            opts = os.path.join(d, "meson_options.txt")
            with open(opts, "w", encoding="utf-8") as f:
                f.write("option('statefs', type: 'boolean', value: true)\noption('shell', type: 'boolean')\n")
            status, out, _ = run(CAPGEN, "--table", TABLE, "--meson-options", opts, "--print", "toggles")
        self.assertEqual((status, out), (0, "statefs=statefs shell=shell\n"))


CALLEE_C = "int victim_fn(int x) { return x + 1; }\n"
OFFENDER_C = ("int victim_fn(int x);\nint core_fn(void);\nint libc_like_fn(void);\nint helper(void);\n"
              "int offender_run(int x) { return victim_fn(x) + core_fn() + libc_like_fn() + helper(); }\n")
HELPER_C = "int helper(void) { return 2; }\n"  # a second file of the offender itself
CORE_C = "int core_fn(void) { return 3; }\n"


class LinkCheck(unittest.TestCase):
    """linkcheck fails on a call to an ungranted component and passes when granted."""

    def toolchains(self):
        """(label, cc argv, nm, ar) for the host and, if present, the cross toolchain."""
        out = [("host", shlex.split(os.environ.get("CAPTEST_CC", "cc")),
                os.environ.get("CAPTEST_NM", "nm"), os.environ.get("CAPTEST_AR", "ar"))]
        cross = os.environ.get("CAPTEST_CROSS_CC", "riscv64-unknown-elf-gcc")
        if shutil.which(shlex.split(cross)[0]) and shutil.which("riscv64-unknown-elf-nm"):
            out.append(("riscv", shlex.split(cross) + ["-march=rv64gc", "-mabi=lp64d", "-mcmodel=medany"],
                        os.environ.get("CAPTEST_CROSS_NM", "riscv64-unknown-elf-nm"), "riscv64-unknown-elf-ar"))
        return out

    def build(self, d, cc, ar):
        """Compile the fixtures; callee goes into a static library to exercise archives."""
        objs = {}
        for name, src in (("callee", CALLEE_C), ("offender", OFFENDER_C), ("helper", HELPER_C), ("core", CORE_C)):
            c = os.path.join(d, name + ".c")
            with open(c, "w", encoding="utf-8") as f:
                f.write(src)
            objs[name] = os.path.join(d, name + ".o")
            subprocess.run(cc + ["-std=c17", "-Wall", "-Wextra", "-Werror", "-c", c, "-o", objs[name]], check=True)
        lib = os.path.join(d, "libcallee.a")
        subprocess.run([ar, "rcs", lib, objs["callee"]], check=True)
        objs["libcallee"] = lib
        return objs

    def linkcheck(self, table, objs, nm, stamp):
        """Run linkcheck on the offender's two objects."""
        return run(LINKCHECK, "--table", table, "--component", "offender", "--nm", nm,
                   "--core", objs["core"], "--lib", "callee=" + objs["libcallee"],
                   "--lib", "offender=" + objs["offender"], "--stamp", stamp,
                   objs["offender"], objs["helper"])

    def test_ungranted_call_fails_and_granted_passes(self):
        for label, cc, nm, ar in self.toolchains():
            with self.subTest(toolchain=label), tempfile.TemporaryDirectory() as d:
                objs = self.build(d, cc, ar)
                stamp = os.path.join(d, "stamp")
                table = "test/unit/captable/link/nogrant.txt"
                status, out, err = self.linkcheck(table, objs, nm, stamp)
                self.assertEqual((status, out), (1, ""))
                self.assertEqual(err, f"linkcheck: offender calls callee's victim_fn without a grant ({table})\n")
                self.assertFalse(os.path.exists(stamp))
                status, out, err = self.linkcheck("test/unit/captable/link/grant.txt", objs, nm, stamp)
                self.assertEqual((status, out, err), (0, "", ""))
                self.assertTrue(os.path.exists(stamp))

    def test_callee_disabled_counts_as_ungranted(self):
        _, cc, nm, ar = self.toolchains()[0]
        with tempfile.TemporaryDirectory() as d:
            objs = self.build(d, cc, ar)
            status, _, err = run(LINKCHECK, "--table", "test/unit/captable/link/optional.txt", "--enable", "offender",
                                 "--component", "offender", "--nm", nm, "--core", objs["core"],
                                 "--lib", "callee=" + objs["libcallee"], objs["offender"], objs["helper"])
        self.assertEqual(status, 1)
        self.assertIn("offender calls callee's victim_fn without a grant", err)

    def test_unknown_lib_name_is_an_error(self):
        _, cc, nm, ar = self.toolchains()[0]
        with tempfile.TemporaryDirectory() as d:
            objs = self.build(d, cc, ar)
            status, _, err = run(LINKCHECK, "--table", "test/unit/captable/link/grant.txt", "--component", "offender",
                                 "--nm", nm, "--lib", "calee=" + objs["libcallee"], objs["offender"])
        self.assertEqual((status, err), (1, "linkcheck: --lib names unknown component 'calee'\n"))


class IncludePath(unittest.TestCase):
    """Layer 1: a component is compiled with its granted callees' headers only
    (capgen --print incs:NAME, as components/meson.build uses it)."""

    def compile_as(self, component, header):
        """Compile a file including header with component's include path."""
        status, out, err = run(CAPGEN, "--table", TABLE, "--print", f"incs:{component}")
        self.assertEqual((status, err), (0, ""))
        incs = []
        for rel in out.split():
            path = os.path.join(ROOT, "components", rel)
            if os.path.isdir(path):
                incs += ["-I", path]
        incs += ["-I", os.path.join(ROOT, "src", "include")]
        cc = shlex.split(os.environ.get("CAPTEST_CC", "cc"))
        with tempfile.TemporaryDirectory() as d:
            c = os.path.join(d, "uses.c")
            with open(c, "w", encoding="utf-8") as f:
                f.write(f'#include "{header}"\nint uses_header;\n')
            return subprocess.run(cc + ["-std=c17", "-fsyntax-only", "-DCAIRN_HOST=1"] + incs + [c],
                                  capture_output=True, text=True)

    def test_ungranted_header_does_not_compile(self):
        res = self.compile_as("faulttest", "crypto.h")  # faulttest is not granted crypto
        self.assertNotEqual(res.returncode, 0)
        self.assertIn("crypto.h", res.stderr)

    def test_granted_header_compiles(self):
        res = self.compile_as("statefs", "crypto.h")  # statefs -> crypto is granted
        self.assertEqual((res.returncode, res.stderr), (0, ""))


if __name__ == "__main__":
    unittest.main(verbosity=2)

#!/usr/bin/env python3
"""The W^X link check rejects offending images and accepts clean ones.

  test_wxcheck.py WXCHECK GOOD_ELF BAD_AWX_ELF BAD_DATA_EXEC_ELF

Each ELF was linked for the image (riscv64, platform/qemu-virt/link.ld) by Meson.
"""
import subprocess
import sys


def run(wxcheck, elf):
    """(exit status, stderr) of wxcheck --layout on elf."""
    res = subprocess.run([sys.executable, wxcheck, "--layout", elf], capture_output=True, text=True)
    return res.returncode, res.stderr


def main():
    wxcheck, good, bad_awx, bad_data = sys.argv[1:5]
    failures = []
    cases = [
        (good, 0, []),
        (bad_awx, 1, ["section .evil", "is writable and executable (W^X)", "LOAD segment"]),
        (bad_data, 1, ["section .data", "lies outside the text pages (RX)"]),
    ]
    for elf, want_rc, want_msgs in cases:
        rc, err = run(wxcheck, elf)
        sys.stdout.write(f"{elf}: exit {rc}\n{err}")
        if rc != want_rc:
            failures.append(f"{elf}: exit {rc}, expected {want_rc}")
        for m in want_msgs:
            if m not in err:
                failures.append(f"{elf}: no {m!r} in the report")
    rc = subprocess.run([sys.executable, wxcheck, "/dev/null"], capture_output=True).returncode
    if rc != 1:
        failures.append(f"/dev/null: exit {rc}, expected 1 (not an ELF)")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Tests for platform/qemu-virt/timeline.py, the checker of the boot timeline
line (meson test kernel_timeline, suite: unit, kernel): a consistent log
passes; each kind of inconsistency the QEMU tests must catch is refused."""
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "platform", "qemu-virt"))
import timeline  # noqa: E402

# A 2-hart boot with a state disk, shaped like a real log (ready t = sum of phases).
HEAD = """cairn 0.1.0: booting on hart0
cairn: boot hart=0 harts=2
cairn: hart1 online
cairn: hart0 online
cairn: component virtio_blk up
statefs: ready
cairn: component statefs up
cairn: component keystore failed err=-5 (EIO)
cairn: component bootctl not started (needs keystore)
pkgfs: mounted fixture files=3 bytes=190
cairn: component packagefs up
cairn: components up=3 down=2
cairn: ready t=1000 harts=2 timer=sstc
"""
GOOD = ("cairn: timeline us fw=50 dtb=100 sbi=10 mem=20 mmu=30 plic=5 harts=200 ipi=15 "
        "sched=20 comps=590 ready=10 total=1000 | hart1=150 | virtio_blk=40+0 statefs=300+5 "
        "keystore=20+0 packagefs=100+0 statefs.mount=250 packagefs.mount=90")


def check(tl, head=HEAD, tail="cairn: quit requested on the command line\n"):
    return timeline.check_log(head + (tl + "\n" if tl is not None else "") + tail)


class TimelineTest(unittest.TestCase):
    def refused(self, tl, why, head=HEAD):
        with self.assertRaises(timeline.TimelineError) as cm:
            check(tl, head)
        self.assertIn(why, str(cm.exception))

    def test_consistent_log_passes(self):
        t = check(GOOD)
        self.assertEqual(t["total"], 1000)
        self.assertEqual(t["harts"], [(1, 150)])
        self.assertEqual(t["comps"][1], ("statefs", 300, 5))
        self.assertIn(("packagefs", "mount", 90), t["spans"])

    def test_one_hart_has_an_empty_hart_section(self):
        head = HEAD.replace("harts=2\n", "harts=1\n").replace("cairn: hart1 online\n", "")
        check(GOOD.replace(" hart1=150", ""), head.replace("ready t=1000 harts=2",
                                                             "ready t=1000 harts=1"))

    def test_missing_line(self):
        self.refused(None, "0 timeline lines")

    def test_line_before_ready(self):
        head = HEAD.replace("cairn: ready t=1000 harts=2 timer=sstc\n", "")
        with self.assertRaises(timeline.TimelineError) as cm:
            timeline.check_log(head + GOOD + "\ncairn: ready t=1000 harts=2 timer=sstc\n")
        self.assertIn("before", str(cm.exception))

    def test_marks_out_of_order(self):
        self.refused(GOOD.replace("sbi=10 mem=20", "sbi=40 mem=-10"), "out of order")

    def test_unmarked_phase(self):
        self.refused(GOOD.replace("ipi=15", "ipi=?"), "never marked")

    def test_sum_not_total(self):
        self.refused(GOOD.replace("ready=10", "ready=11"), "add up to 1001")

    def test_total_not_ready_time(self):
        self.refused(GOOD.replace("total=1000", "total=999"), "but cairn: ready t=1000")

    def test_missing_phase(self):
        self.refused(GOOD.replace(" plic=5", ""), "phases are not")

    def test_hart_missing(self):
        self.refused(GOOD.replace(" hart1=150", ""), "0 hart entries for 2 harts")

    def test_harts_exceed_phase(self):
        self.refused(GOOD.replace("hart1=150", "hart1=201"), "longer than the harts phase")

    def test_component_missing(self):
        self.refused(GOOD.replace(" keystore=20+0", ""), "expected ['virtio_blk'")

    def test_components_exceed_phase(self):
        self.refused(GOOD.replace("packagefs=100+0", "packagefs=300+0"),
                     "more than the comps phase")

    def test_span_exceeds_component(self):
        self.refused(GOOD.replace("statefs.mount=250", "statefs.mount=306"),
                     "not within statefs")

    def test_mount_span_missing(self):
        self.refused(GOOD.replace(" statefs.mount=250", ""), "no statefs.mount span")
        self.refused(GOOD.replace(" packagefs.mount=90", ""), "no packagefs.mount span")

    def test_cut_line(self):
        self.refused(GOOD.replace(" packagefs.mount=90", " ..."), "cut line")


if __name__ == "__main__":
    unittest.main()

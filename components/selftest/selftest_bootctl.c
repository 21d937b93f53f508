/* bootctl selftests, run as the selftest component through bootctl.h:
 *
 *   persistence: the control record on /state/boot/ (selftest may read it) decodes,
 *                agrees with bootctl's state in memory, and was read at boot: an
 *                earlier boot confirmed the running slot, so it runs as good
 *                -> "SELFTEST: bootctl persist ok" (on a first boot the state is
 *                blank and there is nothing to read back yet: a note, no marker)
 *   authority:   the slot calls that drive the mount are packagefs' alone: from
 *                selftest they are EPERM with a cap audit record, and a bad slot
 *                for set_active is EINVAL -> "SELFTEST: bootctl slot calls refused ok"
 *   gate:        selftest_bootctl_confirm, after every selftest passed, is the health
 *                gate of a selftest boot (bootctl_mark_good). */
#include "bootctl.h"
#include "cairn/audit.h"
#include "cairn/cap.h"
#include "cairn/console.h"
#include "cairn/err.h"
#include "cairn/supervisor.h"
#include "selftest.h"
#include "statefs_svc.h"

/* test_persist: the record read back equals what bootctl committed. */
static int test_persist(const struct bootctl_status *s)
{
	uint8_t buf[BOOTCTL_CONTROL_SIZE];
	struct bootctl_state st;
	if (s->load == BOOTCTL_LOAD_BLANK) {
		kprintf("ktest: bootctl: first boot (no control state yet): nothing to read "
			"back\n");
		return 0;
	}
	if (s->load != BOOTCTL_LOAD_OK || s->current >= BOOTCTL_NSLOTS) {
		kprintf("ktest: bootctl: state %s, slot %s: persistence not checked\n",
			bootctl_load_name(s->load), bootctl_slot_name(s->current));
		return 0;
	}
	int n = statefs_svc_get(BOOTCTL_KEY_CONTROL, buf, sizeof(buf));
	const char *why = n < 0 ? cairn_strerror(n) : bootctl_control_decode(buf, (size_t)n, &st);
	bool same = !why && st.seq == s->st.seq && st.last_good == s->st.last_good &&
		    st.min_release == s->st.min_release;
	for (int i = 0; same && i < BOOTCTL_NSLOTS; i++) /* field by field: structs have padding */
		same = st.slot[i].priority == s->st.slot[i].priority &&
		       st.slot[i].tries == s->st.slot[i].tries &&
		       st.slot[i].successful == s->st.slot[i].successful &&
		       st.slot[i].reason == s->st.slot[i].reason &&
		       st.slot[i].release == s->st.slot[i].release;
	/* Good from the start of this boot: an earlier boot's confirmation was read. */
	bool read_back = !s->trial && st.last_good == s->current && st.slot[s->current].successful;
	if (!same || !read_back) {
		kprintf("ktest: bootctl persist FAILED: record %s, same=%d, slot %s %s\n",
			why ? why : "ok", same, bootctl_slot_name(s->current),
			s->trial ? "trial" : "good");
		return 1;
	}
	kprintf("SELFTEST: bootctl persist ok\n");
	return 0;
}

/* test_refused: packagefs-only calls and bad arguments. */
static int test_refused(void)
{
	uint8_t slot = 0;
	uint64_t seq = audit_next_seq();
	int e1 = bootctl_slot_begin(&slot);
	int e2 = bootctl_slot_verified(BOOTCTL_SLOT_A, 1, &slot);
	int e3 = bootctl_set_active(2);
	unsigned rec = selftest_audited(seq, AUDIT_CAP_DENIED, CAP_COMP_SELFTEST, CAP_COMP_BOOTCTL,
					NULL, "packagefs only", false);
	if (e1 != CAIRN_EPERM || e2 != CAIRN_EPERM || e3 != CAIRN_EINVAL || rec != 2) {
		kprintf("ktest: bootctl refusals FAILED: begin %s verified %s set_active %s "
			"records %u\n",
			cairn_strerror(e1), cairn_strerror(e2), cairn_strerror(e3), rec);
		return 1;
	}
	kprintf("SELFTEST: bootctl slot calls refused ok\n");
	return 0;
}

int selftest_bootctl(void)
{
	struct bootctl_status s;
	if (supervisor_state(CAP_COMP_BOOTCTL) != COMP_UP) {
		kprintf("ktest: bootctl is not up: skipped\n");
		return 0;
	}
	int err = bootctl_status(&s);
	if (err) {
		kprintf("ktest: bootctl status FAILED: %s\n", cairn_strerror(err));
		return 1;
	}
	return test_persist(&s) + test_refused();
}

int selftest_bootctl_confirm(void)
{
	if (supervisor_state(CAP_COMP_BOOTCTL) != COMP_UP)
		return 0;
	(void)bootctl_mark_good(); /* the gate prints its verdict; a refusal is not a test failure */
	return 0;
}

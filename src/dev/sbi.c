/* SBI calls (the SBI v1.0 calling convention: a7 = EID, a6 = FID, a0/a1 = error/value). */
#include "cairn/sbi.h"

#include "cairn/err.h"

struct sbi_info sbi;

struct sbiret {
	long error;
	long value;
};

static struct sbiret sbi_call4(unsigned long eid, unsigned long fid, unsigned long a0,
			       unsigned long a1, unsigned long a2, unsigned long a3)
{
	register unsigned long r0 __asm__("a0") = a0;
	register unsigned long r1 __asm__("a1") = a1;
	register unsigned long r2 __asm__("a2") = a2;
	register unsigned long r3 __asm__("a3") = a3;
	register unsigned long r6 __asm__("a6") = fid;
	register unsigned long r7 __asm__("a7") = eid;
	__asm__ volatile("ecall"
			 : "+r"(r0), "+r"(r1)
			 : "r"(r2), "r"(r3), "r"(r6), "r"(r7)
			 : "memory");
	return (struct sbiret){ (long)r0, (long)r1 };
}

static struct sbiret sbi_call(unsigned long eid, unsigned long fid, unsigned long a0,
			      unsigned long a1, unsigned long a2)
{
	return sbi_call4(eid, fid, a0, a1, a2, 0);
}

/* sbi_err: SBI error codes (-1 failed, -2 not supported, -3 invalid param,
 * -4 denied, -5 invalid address, -6 already available, -7 already started,
 * -8 already stopped) to CAIRN_E*. */
static int sbi_err(long e)
{
	switch (e) {
	case 0:
		return 0;
	case -2:
		return CAIRN_ENOSYS;
	case -3:
	case -5:
		return CAIRN_EINVAL;
	case -4:
		return CAIRN_EPERM;
	case -6:
	case -7:
		return CAIRN_EBUSY;
	case -8:
		return CAIRN_EINVAL;
	default:
		return CAIRN_EIO;
	}
}

static bool probe(unsigned long ext)
{
	struct sbiret r = sbi_call(SBI_EXT_BASE, 3, ext, 0, 0);
	return r.error == 0 && r.value != 0;
}

int sbi_probe(void)
{
	struct sbiret r = sbi_call(SBI_EXT_BASE, 0, 0, 0, 0);
	if (r.error)
		return CAIRN_ENOSYS;
	sbi.spec_version = (unsigned long)r.value;
	sbi.impl_id = (unsigned long)sbi_call(SBI_EXT_BASE, 1, 0, 0, 0).value;
	sbi.impl_version = (unsigned long)sbi_call(SBI_EXT_BASE, 2, 0, 0, 0).value;
	sbi.has_time = probe(SBI_EXT_TIME);
	sbi.has_ipi = probe(SBI_EXT_IPI);
	sbi.has_hsm = probe(SBI_EXT_HSM);
	sbi.has_srst = probe(SBI_EXT_SRST);
	sbi.has_rfence = probe(SBI_EXT_RFENCE);
	return 0;
}

const char *sbi_impl_name(unsigned long id)
{
	static const char *const names[] = {
		"BBL", "OpenSBI", "Xvisor", "KVM", "RustSBI", "Diosix"
	};
	return id < sizeof(names) / sizeof(names[0]) ? names[id] : "unknown";
}

int sbi_hart_start(unsigned long hartid, unsigned long addr, unsigned long opaque)
{
	return sbi_err(sbi_call(SBI_EXT_HSM, 0, hartid, addr, opaque).error);
}

int sbi_hart_stop(void) { return sbi_err(sbi_call(SBI_EXT_HSM, 1, 0, 0, 0).error); }

int sbi_hart_status(unsigned long hartid)
{
	struct sbiret r = sbi_call(SBI_EXT_HSM, 2, hartid, 0, 0);
	return r.error ? sbi_err(r.error) : (int)r.value;
}

int sbi_set_timer(uint64_t stime) { return sbi_err(sbi_call(SBI_EXT_TIME, 0, stime, 0, 0).error); }

int sbi_send_ipi(unsigned long hart_mask, unsigned long hart_mask_base)
{
	return sbi_err(sbi_call(SBI_EXT_IPI, 0, hart_mask, hart_mask_base, 0).error);
}

int sbi_system_reset(bool failure)
{
	/* type 0 = shutdown; reason 1 = system failure. */
	return sbi_err(sbi_call(SBI_EXT_SRST, 0, 0, failure ? 1 : 0, 0).error);
}

int sbi_system_reboot(void)
{
	/* type 1 = cold reboot; reason 0 = none. */
	return sbi_err(sbi_call(SBI_EXT_SRST, 0, 1, 0, 0).error);
}

int sbi_remote_sfence_vma(unsigned long hart_mask, unsigned long hart_mask_base,
			  unsigned long start, unsigned long size)
{
	return sbi_err(sbi_call4(SBI_EXT_RFENCE, 1, hart_mask, hart_mask_base, start, size).error);
}

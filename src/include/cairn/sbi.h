/* SBI calls into OpenSBI (M-mode): base, TIME, IPI, HSM, SRST. */
#ifndef CAIRN_SBI_H
#define CAIRN_SBI_H

#include <stdbool.h>
#include <stdint.h>

#define SBI_EXT_BASE 0x10
#define SBI_EXT_TIME 0x54494D45
#define SBI_EXT_IPI 0x735049
#define SBI_EXT_HSM 0x48534D
#define SBI_EXT_SRST 0x53525354
#define SBI_EXT_RFENCE 0x52464E43

enum sbi_hsm_state {
	SBI_HSM_STARTED = 0,
	SBI_HSM_STOPPED = 1,
	SBI_HSM_START_PENDING = 2,
	SBI_HSM_STOP_PENDING = 3,
	SBI_HSM_SUSPENDED = 4,
};

struct sbi_info {
	unsigned long spec_version; /* major << 24 | minor */
	unsigned long impl_id;
	unsigned long impl_version;
	bool has_time, has_ipi, has_hsm, has_srst, has_rfence;
};

extern struct sbi_info sbi;

/* sbi_probe: fill `sbi`; 0, or CAIRN_ENOSYS when the base extension itself is
 * missing (pre-0.2 firmware). */
int sbi_probe(void);
const char *sbi_impl_name(unsigned long id);
/* SBI error (negative SBI code) mapped to a CAIRN_E* code. */
int sbi_hart_start(unsigned long hartid, unsigned long addr, unsigned long opaque);
int sbi_hart_stop(void);
int sbi_hart_status(unsigned long hartid);
int sbi_set_timer(uint64_t stime);
int sbi_send_ipi(unsigned long hart_mask, unsigned long hart_mask_base);
/* sbi_system_reset: shut down; returns only on failure. failure=true reports
 * a system failure as the reason. */
int sbi_system_reset(bool failure);
/* sbi_system_reboot: cold reboot; returns only on failure. */
int sbi_system_reboot(void);
/* sbi_remote_sfence_vma: run sfence.vma over [start, start+size) on the harts
 * in hart_mask (bit i = hart hart_mask_base + i) and wait for them (RFENCE). */
int sbi_remote_sfence_vma(unsigned long hart_mask, unsigned long hart_mask_base,
			  unsigned long start, unsigned long size);

#endif

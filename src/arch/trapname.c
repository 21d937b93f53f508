/* Names of RISC-V trap causes (privileged spec, scause encodings). */
#include "cairn/trapname.h"

#include <stdbool.h>
#include <stddef.h>

const char *trap_cause_name(uint64_t scause)
{
	static const char *const exc[] = {
		[0] = "instruction address misaligned",
		[1] = "instruction access fault",
		[2] = "illegal instruction",
		[3] = "breakpoint",
		[4] = "load address misaligned",
		[5] = "load access fault",
		[6] = "store/AMO address misaligned",
		[7] = "store/AMO access fault",
		[8] = "environment call from U-mode",
		[9] = "environment call from S-mode",
		[12] = "instruction page fault",
		[13] = "load page fault",
		[15] = "store/AMO page fault",
		[18] = "software check",
		[19] = "hardware error",
	};
	static const char *const irq[] = {
		[1] = "supervisor software interrupt",
		[5] = "supervisor timer interrupt",
		[9] = "supervisor external interrupt",
		[13] = "counter overflow interrupt",
	};
	uint64_t code = scause & ~(1ull << 63);
	bool is_irq = (scause >> 63) != 0;
	const char *const *tab = is_irq ? irq : exc;
	size_t n = is_irq ? sizeof(irq) / sizeof(irq[0]) : sizeof(exc) / sizeof(exc[0]);
	if (code < n && tab[code])
		return tab[code];
	return is_irq ? "unknown interrupt" : "unknown exception";
}

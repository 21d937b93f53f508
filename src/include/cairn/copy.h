/* Fault-safe memory copies (src/arch/copy.S): the primitive under the gate's
 * cap_copy_in/cap_copy_out (cairn/cap_gate.h), which services use for every
 * access to caller memory. A load or store that faults inside these routines
 * makes them return CAIRN_EFAULT instead of ending the thread (trap.c:
 * copy_fixup). Any thread, any hart; no locks. */
#ifndef CAIRN_COPY_H
#define CAIRN_COPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* copy_bytes: copy n bytes; 0, or CAIRN_EFAULT when an access faulted (a prefix
 * of dst may have been written). */
long copy_bytes(void *dst, const void *src, size_t n);
/* copy_string: copy src up to and including its NUL, at most max bytes; the
 * string's length, max when src[0..max) holds no NUL, or CAIRN_EFAULT. */
long copy_string(char *dst, const char *src, size_t max);
/* copy_fixup_pc: the address a fault at pc resumes at when pc lies inside the
 * copy routines, else 0 (for the trap handler). */
uintptr_t copy_fixup_pc(uintptr_t pc);

#endif

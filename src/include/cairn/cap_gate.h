/* The capability gate: run-time enforcement of components/capabilities.txt.
 *
 * Every authority-bearing entry point of a component's interface starts with
 *
 *	struct cap_call call;
 *	int err = cap_enter(&call, CAP_COMP_STATEFS, "put");
 *	if (err)
 *		return err;
 *	... serve, as statefs ...
 *	cap_leave(&call);
 *
 * cap_enter reads the caller's identity from the scheduler (the component the
 * calling thread is acting as), never from an argument, and denies by default:
 * a call the table does not grant returns CAIRN_EPERM and appends an audit
 * record (AUDIT_CAP_DENIED). A granted call switches the thread's identity to
 * the callee until cap_leave, so what the callee does on the caller's behalf
 * (claims, disk I/O, nested calls) is checked as the callee. A call into a
 * component that is not up (stopped, failed, restarting) returns CAIRN_EAGAIN;
 * the supervisor waits for calls in flight to leave before it stops a component. */
#ifndef CAIRN_CAP_GATE_H
#define CAIRN_CAP_GATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cap_call {
	uint16_t caller; /* identity before the call, restored by cap_leave */
	uint16_t callee;
	bool counted; /* counted as in flight in callee */
};

/* cap_enter: check and enter a call into callee's operation op. 0, CAIRN_EPERM
 * (not granted; audited), CAIRN_EAGAIN (callee not up), CAIRN_EINVAL (bad id). */
int cap_enter(struct cap_call *call, unsigned callee, const char *op);
/* cap_leave: end a call entered with cap_enter (which returned 0). */
void cap_leave(struct cap_call *call);

/* cap_deny: for checks finer than a grant (a disk claim, a key prefix): append
 * an audit record of kind for the current identity and return CAIRN_EPERM. */
int cap_deny(int kind, unsigned callee, const char *op, const char *subject);

/* cap_self: the component the calling thread acts as (thread_component()). */
uint16_t cap_self(void);

/* Caller memory, touched only through these (DESIGN: "copied once at the gate").
 * A service copies its caller's arguments into its own memory once, before it
 * takes any lock, then validates, authorises and uses that copy; results are
 * copied out after the lock is dropped. A bad caller pointer (unmapped, a guard
 * page, read-only memory for a copy-out) makes the copy fail with CAIRN_EFAULT
 * (the caller's error, audited as AUDIT_BAD_ADDR against call->caller) instead
 * of faulting in the callee. One address space: a pointer into memory that is
 * mapped writable (another component's data) cannot be told from a good one.
 * call is the entered call (cap_enter returned 0); NULL src/dst with n == 0 is
 * allowed. */
int cap_copy_in(const struct cap_call *call, void *dst, const void *src, size_t n);
int cap_copy_out(const struct cap_call *call, void *dst, const void *src, size_t n);
/* cap_copy_str_in: copy a NUL-terminated string of at most size - 1 bytes into
 * dst[size]; its length, CAIRN_ENAMETOOLONG when src has no NUL in its first
 * size bytes, CAIRN_EINVAL for NULL, CAIRN_EFAULT (audited) for a bad pointer. */
int cap_copy_str_in(const struct cap_call *call, char *dst, const char *src, size_t size);

#endif

/* The capability gate (cairn/cap_gate.h). The identity switch is written only
 * here and only on the calling thread's own struct, so it needs no lock: the
 * trap handler on the same hart is its only other reader. */
#include "cairn/cap_gate.h"

#include "cairn/copy.h"

#include "cairn/audit.h"
#include "cairn/cap.h"
#include "cairn/err.h"
#include "cairn/sched.h"
#include "cairn/supervisor.h"

uint16_t cap_self(void) { return thread_component(); }

int cap_deny(int kind, unsigned callee, const char *op, const char *subject)
{
	(void)audit_append((enum audit_kind)kind, thread_component(), (uint16_t)callee, op,
			   subject);
	return CAIRN_EPERM;
}

int cap_enter(struct cap_call *call, unsigned callee, const char *op)
{
	struct thread *t = thread_current();
	uint16_t caller = t ? t->component : 0;

	call->caller = caller;
	call->callee = (uint16_t)callee;
	call->counted = false;
	if (callee == 0 || callee >= cap_table.comp_count)
		return CAIRN_EINVAL;
	if (!cap_may_call(caller, callee))
		return cap_deny(AUDIT_CAP_DENIED, callee, op, NULL);
	if (caller == callee)
		return 0; /* a component calling itself: no switch, not counted */
	if (!t)
		return CAIRN_EINVAL; /* components are only called from threads */
	if (t->gate_depth >= THREAD_GATE_DEPTH)
		return CAIRN_EBUSY;
	int err = supervisor_call_begin(callee);
	if (err)
		return err;
	t->gate_stack[t->gate_depth++] = (uint16_t)callee;
	t->component = (uint16_t)callee;
	call->counted = true;
	return 0;
}

void cap_leave(struct cap_call *call)
{
	if (!call->counted)
		return;
	struct thread *t = thread_current();
	t->gate_depth--;
	t->component = call->caller;
	call->counted = false;
	supervisor_call_end(call->callee);
}

/* bad_addr: audit a copy that faulted on the caller's pointer; CAIRN_EFAULT. */
static int bad_addr(const struct cap_call *call, const char *op)
{
	(void)audit_append(AUDIT_BAD_ADDR, call->caller, call->callee, op, NULL);
	return CAIRN_EFAULT;
}

/* range_ok: [p, p + n) does not wrap around the address space. */
static bool range_ok(const void *p, size_t n) { return (uintptr_t)p <= UINTPTR_MAX - n; }

int cap_copy_in(const struct cap_call *call, void *dst, const void *src, size_t n)
{
	if (n == 0)
		return 0;
	if (!src || !range_ok(src, n) || copy_bytes(dst, src, n) != 0)
		return bad_addr(call, "copy-in");
	return 0;
}

int cap_copy_out(const struct cap_call *call, void *dst, const void *src, size_t n)
{
	if (n == 0)
		return 0;
	if (!dst || !range_ok(dst, n) || copy_bytes(dst, src, n) != 0)
		return bad_addr(call, "copy-out");
	return 0;
}

int cap_copy_str_in(const struct cap_call *call, char *dst, const char *src, size_t size)
{
	if (!src)
		return CAIRN_EINVAL;
	if (size == 0)
		return CAIRN_ENAMETOOLONG;
	long n = copy_string(dst, src, size);
	if (n < 0)
		return bad_addr(call, "copy-in");
	if ((size_t)n == size) {
		dst[size - 1] = '\0';
		return CAIRN_ENAMETOOLONG;
	}
	return (int)n;
}

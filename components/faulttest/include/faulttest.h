/* faulttest: a component that faults on request, so the selftests can prove
 * that a fault in a component's thread is contained: reported with the
 * component's name, the component restarted by the supervisor, the machine
 * still running. Built when the faulttest option is on; only the selftest
 * component is granted it. */
#ifndef FAULTTEST_H
#define FAULTTEST_H

#include <stdint.h>

enum faulttest_kind {
	FAULTTEST_PING = 0,	  /* no fault: reply with the worker's generation */
	FAULTTEST_NULL_DEREF = 1, /* load from address 0 */
	FAULTTEST_STACK_OVERFLOW, /* unbounded recursion into the stack guard */
	FAULTTEST_WRITE_TEXT,	  /* store into the component's own code */
	FAULTTEST_FAULT_LOCKED,	  /* the CALLING thread, as faulttest, holds the call
	                            * mutex for 400 ms and then loads from address 0 */
};

/* faulttest_call: have the component's worker thread do kind. For PING: 0 and
 * *gen = the supervisor generation the worker was started in. For a fault:
 * the worker dies; the call returns CAIRN_ESHUTDOWN when the component is
 * stopped for restart (or CAIRN_ETIMEDOUT after timeout_us); FAULT_LOCKED ends
 * the calling thread itself, and a call waiting for the mutex it held returns
 * CAIRN_ESHUTDOWN. CAIRN_EPERM
 * (audited) when the caller is not granted faulttest; CAIRN_EAGAIN when it is
 * not up. */
int faulttest_call(enum faulttest_kind kind, uint32_t *gen, uint64_t timeout_us);

/* faulttest_text_target: the code the write-to-text fault stores into. */
uint32_t faulttest_text_target(uint32_t x);

#endif

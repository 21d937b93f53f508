/* The supervisor: starts the enabled components in the table's start order,
 * reports each one, keeps going past failures (fail closed, not fail stop),
 * restarts components on request and after contained faults.
 *
 * Markers: cairn: component <name> up
 *          cairn: component <name> failed err=<e>
 *          cairn: component <name> not started (needs <dep>)
 *          cairn: component <name> restarted
 *          cairn: component <name> gave up after <n> faults */
#ifndef CAIRN_SUPERVISOR_H
#define CAIRN_SUPERVISOR_H

#include <stdbool.h>
#include <stdint.h>

struct thread;

enum comp_state {
	COMP_DOWN = 0, /* not started yet */
	COMP_UP,       /* init and start succeeded; interface open */
	COMP_FAILED,   /* init/start failed, or it faulted and is not back */
	COMP_SKIPPED,  /* a component it needs is not up */
	COMP_STOPPING, /* interface closed, being stopped */
};

#define SUPERVISOR_MAX_RESTARTS 3 /* restarts after faults, per component per 60 s */

/* supervisor_start_all: bring every enabled component up in start order.
 * Returns how many failed or were skipped. Called once, from kinit. */
int supervisor_start_all(void);

/* supervisor_ready_all: after `cairn: ready`, call the ready hook of every
 * component that has one (telling it whether it is up), in start order, on the
 * calling (init) thread in that component's identity. A hook may end the run
 * (platform_exit). Called once, from kinit. */
void supervisor_ready_all(void);

/* supervisor_restart: stop comp's running dependents (reverse start order),
 * stop comp, init+start it again, then its dependents. Kernel core or a
 * component the table gives the restart privilege (CAIRN_EPERM, audited,
 * otherwise). 0 when comp is up
 * again; CAIRN_ENOTSUP when comp or a running dependent is no_restart; the init
 * error when it does not come back. Prints `cairn: component <name> restarted`. */
int supervisor_restart(unsigned comp);

/* supervisor_state: the component's state (COMP_DOWN for an unknown id). */
enum comp_state supervisor_state(unsigned comp);
/* supervisor_last_error: why comp went down last (its init/start error,
 * CAIRN_EFAULT after a contained fault, CAIRN_ETIMEDOUT when a stop's drain gave
 * up); 0 while it is up or never failed. */
int supervisor_last_error(unsigned comp);
/* supervisor_generation: how many times comp has been brought up. */
uint32_t supervisor_generation(unsigned comp);
/* supervisor_wait_up: wait up to timeout_us for comp to be up with a
 * generation > after; 0 or CAIRN_ETIMEDOUT. */
int supervisor_wait_up(unsigned comp, uint32_t after, uint64_t timeout_us);

/* The last contained fault of a component, for operators and selftests. */
struct comp_fault {
	uint32_t count; /* contained faults since boot */
	uint64_t tid;	/* faulting thread's id */
	uint64_t cause; /* scause */
	uint64_t pc;	/* sepc */
	uint64_t addr;	/* stval */
};
/* supervisor_last_fault: comp's fault record (count 0: never faulted). */
int supervisor_last_fault(unsigned comp, struct comp_fault *out);

/* supervisor_component_fault: thread t, acting as component comp (non-zero),
 * took a contained fault; t->fault_cause/fault_pc/fault_addr say which. Called
 * on the faulting hart in trap context: interrupts off, on the hart's emergency
 * trap stack, no spinlock held on entry. It must not sleep, block or switch
 * threads; it may take spinlocks and wake threads. It marks comp failed,
 * uncounts t's calls in flight, and hands comp to the supervisor's restart
 * thread, which restarts it with back-off up to SUPERVISOR_MAX_RESTARTS times.
 * When it returns, the trap handler ends t with thread_exit_from_trap
 * (CAIRN_EFAULT): its joiners get CAIRN_EFAULT. */
void supervisor_component_fault(uint16_t comp, struct thread *t);

/* Internal to the gate (cap_gate.c): count a call into comp in or out.
 * supervisor_call_begin fails with CAIRN_EAGAIN when comp is not up. */
int supervisor_call_begin(unsigned comp);
void supervisor_call_end(unsigned comp);

#endif

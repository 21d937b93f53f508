/* Component descriptors: how a component tells the supervisor how to bring it
 * up and down. Every component enabled in components/capabilities.txt defines
 *
 *	const struct component_desc component_<name> = { ... };
 *
 * and the generated component table (scripts/capgen.py --emit-components) lists
 * them by component id, so a missing descriptor is a link error naming it.
 * See docs/component-model.md ("Adding a component"). */
#ifndef CAIRN_COMPONENT_H
#define CAIRN_COMPONENT_H

#include <stdbool.h>
#include <stdint.h>

#include "cap_table.h" /* generated: enum cap_comp, CAP_COMP_COUNT */

struct component_desc {
	const char *name; /* the table's name, for messages */
	/* init: acquire what the component needs (claim disks, mount, allocate).
	 * Runs in a thread owned by the component, after every component it needs
	 * is up. 0 = success; a negative CAIRN_E* marks it failed and its
	 * dependents are not started. NULL: nothing to initialise. */
	int (*init)(void);
	/* start: begin serving (create worker threads). Runs right after a
	 * successful init, in the component's identity. NULL: nothing to start. */
	int (*start)(void);
	/* stop: stop serving and release everything init and start acquired,
	 * joining the component's threads. Called with the component's interface
	 * closed (no calls in flight), in the component's identity. NULL: nothing
	 * to release. */
	void (*stop)(void);
	/* ready: called once after the kernel prints `cairn: ready`, on the init
	 * thread in the component's identity, in start order; up says whether the
	 * component is up. This is where a component that acts on the command
	 * line (the selftests, benchmarks) does so; it may end the run with
	 * platform_exit. A component that is not up must not serve: it may only
	 * report (the selftest component exits with a failure when it was asked
	 * to run but could not start). NULL: nothing to do. */
	void (*ready)(bool up);
	/* no_restart: what init did cannot be undone (e.g. device probing), so
	 * the supervisor refuses to restart this component. */
	bool no_restart;
};

/* component_table[id]: the descriptor of each enabled component (NULL for the
 * kernel, id 0). Generated. */
extern const struct component_desc *const component_table[CAP_COMP_COUNT];

#endif

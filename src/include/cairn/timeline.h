/* The boot timeline (kern/timeline.c): how long each boot phase took, printed
 * as one line after `cairn: ready` (docs/architecture.md, Boot timeline).
 *
 * Phases are consecutive intervals on the boot path, each ending at a
 * timeline_mark() sample of time_us(), so they add up exactly to the ready
 * time. Harts, components and component spans are details inside a phase.
 * Everything is recorded before the line is printed; later calls (a component
 * restart) are ignored.
 *
 * Marker: cairn: timeline us fw=<f> dtb=<..> ... total=<t> | hart<id>=<us>...
 *         | <comp>=<init>+<start>... <comp>.<span>=<us>... */
#ifndef CAIRN_TIMELINE_H
#define CAIRN_TIMELINE_H

#include <stdint.h>

/* The phases in boot order; each lasts from the previous mark (TL_DTB from
 * _start, time 0) to its own. */
enum timeline_phase {
	TL_DTB,	  /* kmain: per-hart area, trap vector, DTB parse, console */
	TL_SBI,	  /* SBI probe and the banner lines */
	TL_MEM,	  /* the page allocator */
	TL_MMU,	  /* page table built, translation on */
	TL_PLIC,  /* the interrupt controller */
	TL_HARTS, /* every secondary hart started and online */
	TL_IPI,	  /* the core's IPI check on every hart */
	TL_SCHED, /* the boot hart joins the scheduler; kinit starts */
	TL_COMPS, /* the supervisor brought every component up (or not) */
	TL_READY, /* kinit's report up to `cairn: ready` */
	TL_NPHASES
};

#define TIMELINE_MAX_HARTS 16 /* secondary harts recorded; more are counted only */
#define TIMELINE_MAX_SPANS 8  /* component spans recorded; more are dropped */

/* timeline_mark: phase p ends now; returns the mark (µs since _start). Boot
 * hart, boot path only. */
uint64_t timeline_mark(enum timeline_phase p);
/* timeline_hart: secondary hart hartid took us from hart_start to online. */
void timeline_hart(uint32_t hartid, uint64_t us);
/* timeline_comp: component comp's first init took init_us, its start start_us. */
void timeline_comp(unsigned comp, uint64_t init_us, uint64_t start_us);
/* timeline_span: the calling thread's component spent us on `what` (a short
 * name without spaces or '=', e.g. "mount") during its first init. */
void timeline_span(const char *what, uint64_t us);
/* timeline_print: mark TL_READY at ready_us (the `cairn: ready` time), print
 * the line, and ignore every later record. kinit, once. */
void timeline_print(uint64_t ready_us);

#endif

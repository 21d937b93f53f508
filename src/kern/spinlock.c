/* Spinlocks and the per-hart interrupt-disable nesting they rely on. */
#include "cairn/spinlock.h"

#include "cairn/hart.h"
#include "cairn/panic.h"

void spin_init(struct spinlock *l, const char *name)
{
	l->locked = 0;
	l->name = name;
	l->owner = 0;
}

void push_off(void)
{
	int on = intr_enabled();
	intr_off();
	struct hart *h = hart_self();
	if (h->noff == 0)
		h->intena = on;
	h->noff++;
}

void pop_off(void)
{
	struct hart *h = hart_self();
	if (intr_enabled())
		panic("pop_off: interrupts enabled");
	if (h->noff < 1)
		panic("pop_off: not pushed");
	h->noff--;
	if (h->noff == 0 && h->intena)
		intr_on();
}

bool spin_held(struct spinlock *l)
{
	return __atomic_load_n(&l->locked, __ATOMIC_RELAXED) && l->owner == hart_self();
}

void spin_lock(struct spinlock *l)
{
	push_off();
	if (spin_held(l))
		panic("spin_lock: %s already held by this hart", l->name);
	/* Acquire: the critical section's loads and stores stay after this. */
	while (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			cpu_relax();
	l->owner = hart_self();
}

void spin_unlock(struct spinlock *l)
{
	if (!spin_held(l))
		panic("spin_unlock: %s not held", l->name);
	l->owner = 0;
	/* Release: the critical section's stores are visible before the lock is. */
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
	pop_off();
}

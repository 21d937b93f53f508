/* PLIC: S-mode external interrupts, routed to every online hart's context. */
#include "cairn/plic.h"

#include <stdlib.h>

#include "cairn/boot.h"
#include "cairn/err.h"
#include "cairn/hart.h"
#include "cairn/panic.h"

#define PLIC_PRIORITY(irq) (4u * (irq))
#define PLIC_ENABLE(ctx, irq) (0x2000u + 0x80u * (ctx) + 4u * ((irq) / 32))
#define PLIC_THRESHOLD(ctx) (0x200000u + 0x1000u * (ctx))
#define PLIC_CLAIM(ctx) (0x200004u + 0x1000u * (ctx))

struct irq_slot {
	irq_handler_fn fn;
	void *arg;
};

/* plic_lock protects slots[] writes and enable-bit updates; dispatch reads a
 * slot without the lock (the fn/arg pair is published with release order). */
static struct spinlock plic_lock = SPINLOCK_INIT("plic");
static struct irq_slot *slots; /* riscv,ndev + 1 entries; immutable pointer after init */

/* reg: the PLIC register at off. dt_parse checked every offset the kernel uses
 * against the PLIC's reg size; this check (in every build) catches a kernel bug
 * before it becomes a stray access. */
static inline volatile uint32_t *reg(uint32_t off)
{
	if (off > platform.plic_size || platform.plic_size - off < 4)
		panic("plic: register offset 0x%x outside reg size 0x%llx", off,
		      (unsigned long long)platform.plic_size);
	return (volatile uint32_t *)(uintptr_t)(platform.plic_base + off);
}

void plic_init(void)
{
	slots = calloc(platform.plic_ndev + 1, sizeof(*slots));
	if (!slots)
		panic("plic: no memory for %u irq slots", platform.plic_ndev);
	for (uint32_t irq = 1; irq <= platform.plic_ndev; irq++)
		*reg(PLIC_PRIORITY(irq)) = 0;
}

/* set_enable: turn irq on or off in hart h's S context. */
static void set_enable(struct hart *h, uint32_t irq, bool on)
{
	if (h->plic_context < 0)
		return;
	volatile uint32_t *en = reg(PLIC_ENABLE((uint32_t)h->plic_context, irq));
	uint32_t bit = 1u << (irq % 32);
	*en = on ? (*en | bit) : (*en & ~bit);
}

void plic_init_hart(void)
{
	struct hart *h = hart_self();
	int dti = dt_find_hart(&platform, h->hartid);
	h->plic_context = dti >= 0 ? platform.harts[dti].plic_s_context : -1;
	if (h->plic_context < 0)
		return;
	spin_lock(&plic_lock);
	for (uint32_t irq = 1; irq <= platform.plic_ndev; irq++)
		set_enable(h, irq, slots[irq].fn != NULL);
	*reg(PLIC_THRESHOLD((uint32_t)h->plic_context)) = 0;
	spin_unlock(&plic_lock);
	csr_set(sie, SIE_SEIE);
}

int plic_register(uint32_t irq, irq_handler_fn handler, void *arg)
{
	if (irq == 0 || irq > platform.plic_ndev || !handler)
		return CAIRN_EINVAL;
	spin_lock(&plic_lock);
	if (slots[irq].fn) {
		spin_unlock(&plic_lock);
		return CAIRN_EBUSY;
	}
	slots[irq].arg = arg;
	__atomic_store_n(&slots[irq].fn, handler, __ATOMIC_RELEASE);
	*reg(PLIC_PRIORITY(irq)) = 1;
	for (unsigned i = 0; i < hart_count(); i++)
		set_enable(hart_get(i), irq, true);
	spin_unlock(&plic_lock);
	return 0;
}

void plic_unregister(uint32_t irq)
{
	if (irq == 0 || irq > platform.plic_ndev)
		return;
	spin_lock(&plic_lock);
	for (unsigned i = 0; i < hart_count(); i++)
		set_enable(hart_get(i), irq, false);
	*reg(PLIC_PRIORITY(irq)) = 0;
	__atomic_store_n(&slots[irq].fn, NULL, __ATOMIC_RELEASE);
	spin_unlock(&plic_lock);
}

void plic_dispatch(void)
{
	struct hart *h = hart_self();
	if (h->plic_context < 0)
		return;
	volatile uint32_t *claim = reg(PLIC_CLAIM((uint32_t)h->plic_context));
	uint32_t irq;
	while ((irq = *claim) != 0) {
		irq_handler_fn fn = irq <= platform.plic_ndev
					    ? __atomic_load_n(&slots[irq].fn, __ATOMIC_ACQUIRE)
					    : NULL;
		if (fn)
			fn(slots[irq].arg);
		*claim = irq; /* complete */
	}
}

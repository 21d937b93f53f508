/* PLIC: per-hart S-mode contexts, claim/complete, and IRQ registration. */
#ifndef CAIRN_PLIC_H
#define CAIRN_PLIC_H

#include <stdint.h>

typedef void (*irq_handler_fn)(void *arg);

void plic_init(void);	   /* boot hart: priorities off, tables clear */
void plic_init_hart(void); /* each hart: threshold 0, SEIE on */
/* plic_register: route irq to handler on every online hart. CAIRN_EINVAL for
 * irq 0 or past riscv,ndev, CAIRN_EBUSY when already registered. */
int plic_register(uint32_t irq, irq_handler_fn handler, void *arg);
void plic_unregister(uint32_t irq);
void plic_dispatch(void); /* S external interrupt: claim, run, complete */

#endif

/* RISC-V supervisor-mode CSR and instruction helpers. Every accessor is
 * `asm volatile`, so the compiler never caches a CSR or tp across calls. */
#ifndef CAIRN_RISCV_H
#define CAIRN_RISCV_H

#include <stdint.h>

#define SSTATUS_SIE (1ul << 1)
#define SSTATUS_SPIE (1ul << 5)
#define SSTATUS_SPP (1ul << 8)
#define SSTATUS_FS_INITIAL (1ul << 13)
#define SIE_SSIE (1ul << 1)
#define SIE_STIE (1ul << 5)
#define SIE_SEIE (1ul << 9)
#define SIP_SSIP (1ul << 1)
#define SCAUSE_INTR (1ul << 63)
#define IRQ_S_SOFT 1
#define IRQ_S_TIMER 5
#define IRQ_S_EXT 9

#define csr_read(csr)                                                                              \
	({                                                                                         \
		unsigned long v_;                                                                  \
		__asm__ volatile("csrr %0, " #csr : "=r"(v_));                                     \
		v_;                                                                                \
	})
#define csr_write(csr, val)                                                                        \
	__asm__ volatile("csrw " #csr ", %0" ::"rK"((unsigned long)(val)) : "memory")
#define csr_set(csr, bits)                                                                         \
	__asm__ volatile("csrs " #csr ", %0" ::"rK"((unsigned long)(bits)) : "memory")
#define csr_clear(csr, bits)                                                                       \
	__asm__ volatile("csrc " #csr ", %0" ::"rK"((unsigned long)(bits)) : "memory")

/* rdtime: the platform timer, in timebase ticks (DTB timebase-frequency). */
static inline uint64_t rdtime(void)
{
	uint64_t t;
	__asm__ volatile("rdtime %0" : "=r"(t));
	return t;
}

static inline void intr_on(void) { csr_set(sstatus, SSTATUS_SIE); }
static inline void intr_off(void) { csr_clear(sstatus, SSTATUS_SIE); }
static inline int intr_enabled(void) { return (csr_read(sstatus) & SSTATUS_SIE) != 0; }
static inline void wfi(void) { __asm__ volatile("wfi" ::: "memory"); }
static inline void cpu_relax(void) { __asm__ volatile("nop" ::: "memory"); }

/* Sstc's stimecmp, by number so older assemblers accept it. */
static inline void write_stimecmp(uint64_t v)
{
	__asm__ volatile("csrw 0x14d, %0" ::"r"(v) : "memory");
}

static inline uintptr_t read_tp(void)
{
	uintptr_t v;
	__asm__ volatile("mv %0, tp" : "=r"(v));
	return v;
}

static inline uintptr_t read_fp(void)
{
	uintptr_t v;
	__asm__ volatile("mv %0, s0" : "=r"(v));
	return v;
}

#endif

/* Read-only kernel diagnostics for operators (the shell) and tests: harts,
 * threads, memory. Each call copies a consistent snapshot into the caller's
 * array; nothing here hands out kernel pointers or changes anything. */
#ifndef CAIRN_DIAG_H
#define CAIRN_DIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct diag_hart {
	unsigned index;	 /* logical index (the boot hart is 0) */
	uint32_t hartid; /* the platform's hart id */
	bool online;	 /* in the scheduler */
	bool idle;	 /* waiting for work right now */
	uint64_t ticks;	 /* timer interrupts taken */
};
/* diag_harts: up to max harts into out; returns how many harts are online. */
size_t diag_harts(struct diag_hart *out, size_t max);

#define DIAG_NAME_MAX 16
struct diag_thread {
	uint64_t id;
	char name[DIAG_NAME_MAX];
	uint16_t owner;	    /* component that owns it (0 = kernel core) */
	uint16_t component; /* component it is acting as now */
	char state;	    /* 'R' runnable, 'X' running, 'S' sleeping, 'Z' zombie */
	int hart;	    /* logical index of the hart it runs on, -1 when not running */
	size_t stack_size;
	size_t stack_peak; /* deepest stack use so far (bytes ever written) */
};
/* diag_threads: up to max threads into out, oldest first; returns how many
 * threads exist (may be more than max). */
size_t diag_threads(struct diag_thread *out, size_t max);

struct diag_mem {
	size_t page_size;
	size_t pages_total, pages_free; /* the kernel page pool */
	size_t heap_reserved;		/* the slice malloc may grow into */
	size_t heap_size, heap_used;	/* malloc's arena so far and the bytes in use */
};
/* diag_mem: the page pool and the heap now. */
void diag_mem(struct diag_mem *out);

#define DIAG_SERIAL_MAX 20
struct diag_disk {
	char serial[DIAG_SERIAL_MAX + 1];
	uint64_t sectors;    /* logical blocks */
	uint32_t block_size; /* bytes per logical block */
	bool read_only;
	uint16_t owner;	  /* component holding the claim, 0 = unclaimed */
	uint32_t version; /* virtio-mmio transport: 1 legacy, 2 modern */
	uint64_t mmio_base;
	uint32_t irq;
	bool polled;
	int crc_err;  /* 0, or why the first block could not be read */
	uint32_t crc; /* CRC-32C of the first logical block */
};
/* diag_disks: up to max disks into out (the first block of each is read only
 * to show its CRC); returns how many disks exist (0 without a disk driver). */
size_t diag_disks(struct diag_disk *out, size_t max);
/* diag_set_disk_source: the disk driver registers the function that answers
 * diag_disks (the core names no driver). */
typedef size_t (*diag_disk_source_fn)(struct diag_disk *out, size_t max);
void diag_set_disk_source(diag_disk_source_fn fn);

#endif

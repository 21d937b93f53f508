/* Trap cause names (arch/trapname.c): pure, host-tested. */
#ifndef CAIRN_TRAPNAME_H
#define CAIRN_TRAPNAME_H

#include <stdint.h>

/* trap_cause_name: human name of an scause value ("load access fault"). */
const char *trap_cause_name(uint64_t scause);

#endif

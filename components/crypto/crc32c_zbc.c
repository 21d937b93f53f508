/* CRC32-C with the Zbc extension's clmul/clmulh, for the riscv image only. The
 * instructions are emitted with .insn so this file (and the rest of the image)
 * stays -march=rv64gc; the code runs only after crypto_crc32c_use_zbc(true),
 * which the kernel calls when the DTB ISA string lists "zbc". */
#include <string.h>

#include "crypto.h"
#include "crypto_internal.h"

#if defined(__riscv)

/* zbc_clmul: clmul rd, rs1, rs2 (R-type, opcode 0x33, funct3 1, funct7 5). */
static inline uint64_t zbc_clmul(uint64_t a, uint64_t b)
{
	uint64_t r;
	__asm__(".insn r 0x33, 0x1, 0x5, %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
	return r;
}

/* zbc_clmulh: clmulh rd, rs1, rs2 (R-type, opcode 0x33, funct3 3, funct7 5). */
static inline uint64_t zbc_clmulh(uint64_t a, uint64_t b)
{
	uint64_t r;
	__asm__(".insn r 0x33, 0x3, 0x5, %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
	return r;
}

#define CRC_CLMUL_LO zbc_clmul
#define CRC_CLMUL_HI zbc_clmulh
#define CRC_FOLD_NAME crypto_crc32c_fold_zbc
#include "crc32c_fold.h"

#else
/* Host builds have no Zbc; ISO C forbids an empty translation unit. */
typedef int crc32c_zbc_unused;
#endif

/* CRC32-C (Castagnoli): slice-by-16 table code, the dispatch to the Zbc (clmul)
 * folding code, and the portable clmul emulation of that folding code used to
 * test its math on the host. */
#include <string.h>

#include "crypto.h"
#include "crypto_internal.h"

/* CRC_TAB[16][256]: the slice-by-16 tables (CRC_TAB[0] is the classic byte
 * table). Constant data, so harts may read it concurrently and nothing is
 * initialised lazily. Regenerate with gen_crc32c_table.py (docs/crypto.md). */
#include "crc32c_table.inc"

/* Set once at boot by crypto_crc32c_use_zbc before secondary harts start; read
 * with acquire so a hart that sees true also sees everything done before it. */
static bool crc_use_zbc;

/* crc_bytes: the byte-at-a-time table loop, for heads and tails. */
static inline uint32_t crc_bytes(uint32_t crc, const uint8_t *p, size_t len)
{
	while (len--)
		crc = CRC_TAB[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return crc;
}

/* crc_slice8: the contribution of the eight bytes of w (little-endian) when
 * `after` more bytes follow them in the block (0 or 8). */
static inline uint32_t crc_slice8(uint64_t w, unsigned after)
{
	const uint32_t(*t)[256] = CRC_TAB + after;

	return t[7][w & 0xff] ^ t[6][(w >> 8) & 0xff] ^ t[5][(w >> 16) & 0xff] ^
	       t[4][(w >> 24) & 0xff] ^ t[3][(w >> 32) & 0xff] ^ t[2][(w >> 40) & 0xff] ^
	       t[1][(w >> 48) & 0xff] ^ t[0][w >> 56];
}

/* crypto_crc32c_table_raw: advance the (already inverted) CRC register over p,
 * 16 bytes per step (slice-by-16): the register is XORed into the first word, and
 * each of the 16 bytes is looked up in the table for its distance from the end of
 * the block, so one step costs two aligned 64-bit loads, 16 independent table
 * loads and XORs instead of 16 dependent byte steps. The head up to 8-byte
 * alignment and the tail go byte by byte (riscv traps or emulates unaligned
 * loads, so the word loads must be aligned). */
uint32_t crypto_crc32c_table_raw(uint32_t crc, const uint8_t *p, size_t len)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	size_t head = (size_t)(-(uintptr_t)p & 7);

	if (len < head + 16)
		return crc_bytes(crc, p, len);
	crc = crc_bytes(crc, p, head);
	p += head;
	len -= head;
	for (; len >= 16; p += 16, len -= 16) {
		const uint8_t *a = __builtin_assume_aligned(p, 8);
		uint64_t w0, w1;

		memcpy(&w0, a, 8);
		memcpy(&w1, a + 8, 8);
		crc = crc_slice8(w0 ^ crc, 8) ^ crc_slice8(w1, 0);
	}
	return crc_bytes(crc, p, len);
#else
	return crc_bytes(crc, p, len); /* the word layout above assumes little-endian */
#endif
}

/* crypto_crc32c: CRC32-C of buf continuing from crc; see crypto.h. */
uint32_t crypto_crc32c(uint32_t crc, const void *buf, size_t len)
{
#if defined(__riscv)
	if (__atomic_load_n(&crc_use_zbc, __ATOMIC_ACQUIRE))
		return ~crypto_crc32c_fold_zbc(~crc, buf, len);
#endif
	return ~crypto_crc32c_table_raw(~crc, buf, len);
}

/* crypto_crc32c_use_zbc: select the clmul folding code (riscv builds only). */
void crypto_crc32c_use_zbc(bool on)
{
#if defined(__riscv)
	__atomic_store_n(&crc_use_zbc, on, __ATOMIC_RELEASE);
#else
	(void)on;
#endif
}

/* crypto_crc32c_zbc_active: whether crypto_crc32c currently uses Zbc. */
bool crypto_crc32c_zbc_active(void) { return __atomic_load_n(&crc_use_zbc, __ATOMIC_ACQUIRE); }

/* clmul_soft_lo: low 64 bits of the carry-less product a*b (portable). */
static inline uint64_t clmul_soft_lo(uint64_t a, uint64_t b)
{
	uint64_t r = 0;
	for (int i = 0; i < 64; i++)
		r ^= (a << i) & (0 - ((b >> i) & 1));
	return r;
}

/* clmul_soft_hi: high 64 bits of the carry-less product a*b (portable). */
static inline uint64_t clmul_soft_hi(uint64_t a, uint64_t b)
{
	uint64_t r = 0;
	for (int i = 1; i < 64; i++)
		r ^= (a >> (64 - i)) & (0 - ((b >> i) & 1));
	return r;
}

#define CRC_CLMUL_LO clmul_soft_lo
#define CRC_CLMUL_HI clmul_soft_hi
#define CRC_FOLD_NAME crypto_crc32c_fold_soft
#include "crc32c_fold.h"

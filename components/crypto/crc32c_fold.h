/* CRC32-C folding over 64-bit carry-less multiplication, written once and
 * instantiated twice: with Zbc clmul/clmulh (crc32c_zbc.c, riscv image) and with a
 * portable emulation (crc32c.c, every build) so the host tests prove the math.
 *
 * Before including, define CRC_CLMUL_LO(a, b) and CRC_CLMUL_HI(a, b) (low and high
 * 64 bits of the 128-bit carry-less product) and CRC_FOLD_NAME (the function name).
 *
 * Math (docs/crypto.md has the long form): 16 message bytes loaded as two
 * little-endian words (w0, w1) are the polynomial A = w0*x^64 + w1 in the reflected
 * layout (bit j of w0 is the coefficient of x^(127-j)). The CRC register after a
 * message M is (c*x^n + M*x^32) mod P, so an accumulator A followed by 128 more bits
 * B may be replaced by A*x^128 + B, and x^128 may be replaced by anything congruent
 * mod P. A reflected clmul of 64-bit words yields the product times x, so the fold
 * constant for "times x^N" is (x^(N-1) mod P) placed with x^d at bit 63-d. */

/* Fold constants: x^(N-1) mod P for N = 192, 128 (one lane) and 576, 512 (four
 * lanes, 64 bytes apart), reflected into bits 32..63 (gen: docs/crypto.md). */
#define CRC_K192 0x3743f7bd00000000ull
#define CRC_K128 0x3171d43000000000ull
#define CRC_K576 0x1c19243b00000000ull
#define CRC_K512 0x75bba45b00000000ull

/* crc_load64: little-endian 64-bit load from an 8-byte aligned p (the callers
 * align first: riscv traps or emulates unaligned loads, and a byte-wise load
 * costs eight loads, which under QEMU is most of the fold's time). */
static inline uint64_t crc_load64(const uint8_t *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t v;

	memcpy(&v, __builtin_assume_aligned(p, 8), 8);
	return v;
#else
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
#endif
}

/* crc_fold: x = x*x^N + (b0, b1) where (khi, klo) are the constants for N+64, N. */
static inline void crc_fold(uint64_t x[2], uint64_t khi, uint64_t klo, uint64_t b0, uint64_t b1)
{
	uint64_t lo = CRC_CLMUL_LO(x[0], khi) ^ CRC_CLMUL_LO(x[1], klo) ^ b0;
	uint64_t hi = CRC_CLMUL_HI(x[0], khi) ^ CRC_CLMUL_HI(x[1], klo) ^ b1;
	x[0] = lo;
	x[1] = hi;
}

/* CRC_FOLD_NAME: advance the (inverted) CRC register crc over p[0..len). */
uint32_t CRC_FOLD_NAME(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t lane[4][2];
	uint8_t acc[16];

	size_t head = (size_t)(-(uintptr_t)p & 7);

	if (len < head + 64)
		return crypto_crc32c_table_raw(crc, p, len);
	crc = crypto_crc32c_table_raw(crc, p, head); /* align the word loads */
	p += head;
	len -= head;
	for (int k = 0; k < 4; k++) {
		lane[k][0] = crc_load64(p + 16 * k);
		lane[k][1] = crc_load64(p + 16 * k + 8);
	}
	lane[0][0] ^= crc;
	p += 64;
	len -= 64;
	for (; len >= 64; p += 64, len -= 64)
		for (int k = 0; k < 4; k++)
			crc_fold(lane[k], CRC_K576, CRC_K512, crc_load64(p + 16 * k),
				 crc_load64(p + 16 * k + 8));
	for (int k = 1; k < 4; k++)
		crc_fold(lane[0], CRC_K192, CRC_K128, lane[k][0], lane[k][1]);
	for (; len >= 16; p += 16, len -= 16)
		crc_fold(lane[0], CRC_K192, CRC_K128, crc_load64(p), crc_load64(p + 8));
	/* The 128-bit remainder A becomes a register via A*x^32 mod P, which is the
	 * table CRC of A's 16 bytes from a zero register. */
	for (int i = 0; i < 8; i++) {
		acc[i] = (uint8_t)(lane[0][0] >> (8 * i));
		acc[8 + i] = (uint8_t)(lane[0][1] >> (8 * i));
	}
	crc = crypto_crc32c_table_raw(0, acc, sizeof acc);
	return crypto_crc32c_table_raw(crc, p, len);
}

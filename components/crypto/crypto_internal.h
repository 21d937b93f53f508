/* Private interfaces between the crypto component's files and its host tests.
 * Not part of the component API: other components include only crypto.h. */
#ifndef CRYPTO_INTERNAL_H
#define CRYPTO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* crypto_crc32c_table_raw: advance an already-inverted CRC32-C register over p
 * with the byte table (no pre/post inversion). */
uint32_t crypto_crc32c_table_raw(uint32_t crc, const uint8_t *p, size_t len);
/* crypto_crc32c_fold_soft: the clmul folding code with a portable clmul; same
 * contract as crypto_crc32c_table_raw. Exists so the host tests cover the math
 * that crypto_crc32c_fold_zbc runs on the hardware. */
uint32_t crypto_crc32c_fold_soft(uint32_t crc, const uint8_t *p, size_t len);
#if defined(__riscv)
/* crypto_crc32c_fold_zbc: the folding code on Zbc clmul/clmulh (riscv only; call
 * only on a hart whose ISA has Zbc). */
uint32_t crypto_crc32c_fold_zbc(uint32_t crc, const uint8_t *p, size_t len);
#endif

/* The Merkle-Damgard framing shared by SHA-256 and SHA-512 (FIPS 180-4 5.1):
 * block buffering and padding, written once. compress(h, blk) folds one block
 * of `block` bytes into the chaining state h. */
typedef void (*crypto_md_compress_fn)(void *h, const uint8_t *blk);
/* crypto_md_update: absorb len bytes of p through buf (block bytes, *buflen
 * of them pending). p may be NULL when len is 0. */
void crypto_md_update(void *h, crypto_md_compress_fn compress, uint8_t *buf, size_t block,
		      size_t *buflen, const uint8_t *p, size_t len);
/* crypto_md_pad: append 0x80, zeros and the message length in bits as a
 * big-endian field of lenfield bytes (8 or 16; only the low 64 bits can be
 * non-zero), compressing the final block(s). */
void crypto_md_pad(void *h, crypto_md_compress_fn compress, uint8_t *buf, size_t block,
		   size_t buflen, size_t lenfield, uint64_t total_bytes);

/* crypto_ed25519_base_encode: out = encode([a]B) for a < 2^255; constant time. */
void crypto_ed25519_base_encode(uint8_t out[32], const uint8_t a[32]);
/* crypto_ed25519_base_encode2: out1 = encode([a1]B) and out2 = encode([a2]B)
 * sharing one inversion; constant time in both. */
void crypto_ed25519_base_encode2(uint8_t out1[32], const uint8_t a1[32], uint8_t out2[32],
				 const uint8_t a2[32]);
/* crypto_ed25519_check: 0 when R and A decode strictly, neither has small order,
 * and encode([S]B - [k]A) == R; else CAIRN_EBADMSG. S must be < L. */
int crypto_ed25519_check(const uint8_t r[32], const uint8_t s[32], const uint8_t k[32],
			 const uint8_t a[32]);

/* Scalar arithmetic mod L = 2^252 + 27742317777372353535851937790883648493
 * (little-endian 32-byte values), exported for the host tests. */
/* crypto_sc_reduce64: out = in (64 bytes) mod L. */
void crypto_sc_reduce64(uint8_t out[32], const uint8_t in[64]);
/* crypto_sc_muladd: out = (a * b + c) mod L for a, b, c < 2^256; constant time. */
void crypto_sc_muladd(uint8_t out[32], const uint8_t a[32], const uint8_t b[32],
		      const uint8_t c[32]);
/* crypto_sc_is_canonical: 1 when s < L. */
int crypto_sc_is_canonical(const uint8_t s[32]);

#endif

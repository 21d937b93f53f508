/* Constant-time comparison, non-elidable wiping, and the SHA-2 block framing. */
#include <string.h>

#include "crypto.h"
#include "crypto_internal.h"

/* crypto_ct_equal: OR together all byte differences, branch only on the total. */
bool crypto_ct_equal(const void *a, const void *b, size_t len)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;

	for (size_t i = 0; i < len; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

/* crypto_wipe: memset, then a compiler barrier that claims to read the memory at
 * p, so neither dead-store elimination nor a later free can drop the zeroing (the
 * asm's "memory" clobber makes the zeroed bytes observable). memset instead of a
 * volatile byte loop: signing wipes a few hundred bytes per call, and the byte
 * loop was 3% of its time. */
void crypto_wipe(void *p, size_t len)
{
	if (!len)
		return;
	memset(p, 0, len);
	__asm__ __volatile__("" : : "r"(p) : "memory");
}

void crypto_md_update(void *h, crypto_md_compress_fn compress, uint8_t *buf, size_t block,
		      size_t *buflen, const uint8_t *p, size_t len)
{
	if (!len)
		return;
	if (*buflen) {
		size_t n = block - *buflen;
		if (n > len)
			n = len;
		memcpy(buf + *buflen, p, n);
		*buflen += n;
		p += n;
		len -= n;
		if (*buflen < block)
			return;
		compress(h, buf);
		*buflen = 0;
	}
	for (; len >= block; p += block, len -= block)
		compress(h, p);
	memcpy(buf, p, len);
	*buflen = len;
}

void crypto_md_pad(void *h, crypto_md_compress_fn compress, uint8_t *buf, size_t block,
		   size_t buflen, size_t lenfield, uint64_t total_bytes)
{
	uint64_t bits = total_bytes * 8;

	buf[buflen++] = 0x80;
	if (buflen > block - lenfield) {
		memset(buf + buflen, 0, block - buflen);
		compress(h, buf);
		buflen = 0;
	}
	/* The high bytes of a 16-byte length field stay zero (total < 2^61). */
	memset(buf + buflen, 0, block - 8 - buflen);
	for (int i = 0; i < 8; i++)
		buf[block - 1 - i] = (uint8_t)(bits >> (8 * i));
	compress(h, buf);
}

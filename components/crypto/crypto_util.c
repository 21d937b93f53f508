/* Constant-time comparison and non-elidable wiping. */
#include "crypto.h"

/* crypto_ct_equal: OR together all byte differences, branch only on the total. */
bool crypto_ct_equal(const void *a, const void *b, size_t len)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;

	for (size_t i = 0; i < len; i++)
		d |= x[i] ^ y[i];
	return d == 0;
}

/* crypto_wipe: volatile stores, then a compiler barrier that claims to read p, so
 * neither dead-store elimination nor a later free can drop the zeroing. */
void crypto_wipe(void *p, size_t len)
{
	volatile uint8_t *v = p;

	for (size_t i = 0; i < len; i++)
		v[i] = 0;
	__asm__ __volatile__("" : : "r"(p) : "memory");
}

/* Field arithmetic mod p = 2^255 - 19 for Ed25519, radix 2^51 (five limbs),
 * written from RFC 8032 section 5.1. Private to the crypto component: included
 * only by ed25519_point.c (every function is static inline).
 *
 * Bounds: fe_mul and fe_sq accept limbs below 2^54 and return limbs below
 * 2^51 + 2^21 ("carried"): a column sum is at most 5 * 19 * 2^108 < 2^115, so
 * neither it nor its carries overflow 128 bits. fe_add, fe_sub and fe_neg take
 * carried inputs and return carried outputs. The lazy forms fe_add_lazy and
 * fe_sub_lazy skip the carry (a serial chain of about 15 instructions) where the
 * result only feeds a multiplication: fe_add_lazy of carried inputs is below
 * 2^52 + 2^22; fe_sub_lazy(f, g) needs g below 2^52 + 2^22 (carried, or a lazy
 * sum) and f below 2^52 + 2^22, and returns limbs below 2^53.6; the point code
 * adds at most one lazy sum to one lazy difference (below 2^53.9 < 2^54).
 * All functions run in time independent of the values (no branches or indexes
 * on limb contents). */
#ifndef CRYPTO_ED25519_FE_H
#define CRYPTO_ED25519_FE_H

#include <stdint.h>

typedef unsigned __int128 u128;

#define FE_MASK ((UINT64_C(1) << 51) - 1)

struct fe {
	uint64_t v[5]; /* value = sum v[i] * 2^(51 i) */
};

/* fe_carry: propagate carries so every limb is below 2^51 + 2^21. */
static inline void fe_carry(struct fe *h)
{
	uint64_t c;

#pragma GCC unroll 4
	for (int i = 0; i < 4; i++) {
		c = h->v[i] >> 51;
		h->v[i] &= FE_MASK;
		h->v[i + 1] += c;
	}
	c = h->v[4] >> 51;
	h->v[4] &= FE_MASK;
	h->v[0] += 19 * c;
}

/* fe_set: h = small constant n. */
static inline void fe_set(struct fe *h, uint64_t n)
{
	h->v[0] = n;
	h->v[1] = h->v[2] = h->v[3] = h->v[4] = 0;
}

/* fe_add: h = f + g. */
static inline void fe_add(struct fe *h, const struct fe *f, const struct fe *g)
{
	for (int i = 0; i < 5; i++)
		h->v[i] = f->v[i] + g->v[i];
	fe_carry(h);
}

/* fe_sub: h = f - g, computed as f + 4p - g so no limb goes negative. */
static inline void fe_sub(struct fe *h, const struct fe *f, const struct fe *g)
{
	h->v[0] = f->v[0] + (4 * (FE_MASK - 18)) - g->v[0];
	for (int i = 1; i < 5; i++)
		h->v[i] = f->v[i] + 4 * FE_MASK - g->v[i];
	fe_carry(h);
}

/* fe_add_lazy: h = f + g without carrying (bounds above). */
static inline void fe_add_lazy(struct fe *h, const struct fe *f, const struct fe *g)
{
	for (int i = 0; i < 5; i++)
		h->v[i] = f->v[i] + g->v[i];
}

/* fe_sub_lazy: h = f + 4p - g without carrying; 4p's limbs exceed g's (bounds
 * above), so no limb goes negative. */
static inline void fe_sub_lazy(struct fe *h, const struct fe *f, const struct fe *g)
{
	h->v[0] = f->v[0] + (4 * (FE_MASK - 18)) - g->v[0];
	for (int i = 1; i < 5; i++)
		h->v[i] = f->v[i] + 4 * FE_MASK - g->v[i];
}

/* fe_neg: h = -f. */
static inline void fe_neg(struct fe *h, const struct fe *f)
{
	struct fe zero;

	fe_set(&zero, 0);
	fe_sub(h, &zero, f);
}

/* fe_reduce5: carry the five 128-bit column sums into h. With inputs below 2^54
 * a column is at most 77 * 2^108 < 2^115 (r0: one plain and four times-19
 * products), so every carry r >> 51 fits 64 bits; the top carry times 19 may
 * not, and is added in 128 bits. Plain locals (no arrays) keep it in registers. */
static inline void fe_reduce5(struct fe *h, u128 r0, u128 r1, u128 r2, u128 r3, u128 r4)
{
	uint64_t h0, h1, h2, h3, h4;
	u128 t;

	r1 += (uint64_t)(r0 >> 51);
	h0 = (uint64_t)r0 & FE_MASK;
	r2 += (uint64_t)(r1 >> 51);
	h1 = (uint64_t)r1 & FE_MASK;
	r3 += (uint64_t)(r2 >> 51);
	h2 = (uint64_t)r2 & FE_MASK;
	r4 += (uint64_t)(r3 >> 51);
	h3 = (uint64_t)r3 & FE_MASK;
	h4 = (uint64_t)r4 & FE_MASK;
	t = (u128)h0 + (u128)(uint64_t)(r4 >> 51) * 19; /* r4 >> 51 < 2^64 */
	h->v[0] = (uint64_t)t & FE_MASK;
	h->v[1] = h1 + (uint64_t)(t >> 51); /* t >> 51 < 2^18 */
	h->v[2] = h2;
	h->v[3] = h3;
	h->v[4] = h4;
}

/* fe_mul: h = f * g, folding 2^255 = 19 into the low limbs. */
static inline void fe_mul(struct fe *h, const struct fe *f, const struct fe *g)
{
	uint64_t a0 = f->v[0], a1 = f->v[1], a2 = f->v[2], a3 = f->v[3], a4 = f->v[4];
	uint64_t b0 = g->v[0], b1 = g->v[1], b2 = g->v[2], b3 = g->v[3], b4 = g->v[4];
	uint64_t b1_19 = 19 * b1, b2_19 = 19 * b2, b3_19 = 19 * b3, b4_19 = 19 * b4;
	u128 r0, r1, r2, r3, r4;

	r0 = (u128)a0 * b0 + (u128)a1 * b4_19 + (u128)a2 * b3_19 + (u128)a3 * b2_19 +
	     (u128)a4 * b1_19;
	r1 = (u128)a0 * b1 + (u128)a1 * b0 + (u128)a2 * b4_19 + (u128)a3 * b3_19 + (u128)a4 * b2_19;
	r2 = (u128)a0 * b2 + (u128)a1 * b1 + (u128)a2 * b0 + (u128)a3 * b4_19 + (u128)a4 * b3_19;
	r3 = (u128)a0 * b3 + (u128)a1 * b2 + (u128)a2 * b1 + (u128)a3 * b0 + (u128)a4 * b4_19;
	r4 = (u128)a0 * b4 + (u128)a1 * b3 + (u128)a2 * b2 + (u128)a3 * b1 + (u128)a4 * b0;
	fe_reduce5(h, r0, r1, r2, r3, r4);
}

/* fe_sq: h = f^2, using the symmetry a_i a_j = a_j a_i (15 products, not 25). */
static inline void fe_sq(struct fe *h, const struct fe *f)
{
	uint64_t a0 = f->v[0], a1 = f->v[1], a2 = f->v[2], a3 = f->v[3], a4 = f->v[4];
	uint64_t d0 = 2 * a0, d1 = 2 * a1, d2 = 2 * a2, d3 = 2 * a3;
	uint64_t a3_19 = 19 * a3, a4_19 = 19 * a4;

	fe_reduce5(h, (u128)a0 * a0 + (u128)d1 * a4_19 + (u128)d2 * a3_19,
		   (u128)d0 * a1 + (u128)d2 * a4_19 + (u128)a3 * a3_19,
		   (u128)d0 * a2 + (u128)a1 * a1 + (u128)d3 * a4_19,
		   (u128)d0 * a3 + (u128)d1 * a2 + (u128)a4 * a4_19,
		   (u128)d0 * a4 + (u128)d1 * a3 + (u128)a2 * a2);
}

/* fe_sqn: h = f^(2^n), n >= 1. */
static inline void fe_sqn(struct fe *h, const struct fe *f, int n)
{
	fe_sq(h, f);
	while (--n > 0)
		fe_sq(h, h);
}

/* fe_pow_2_250_1: z^(2^250 - 1), also returning z^11 (addition chain). */
static inline void fe_pow_2_250_1(struct fe *out, struct fe *z11, const struct fe *z)
{
	struct fe z2, z9, a, b, c;

	fe_sq(&z2, z);
	fe_sqn(&a, &z2, 2);
	fe_mul(&z9, &a, z);    /* z^9 */
	fe_mul(z11, &z9, &z2); /* z^11 */
	fe_sq(&a, z11);
	fe_mul(&a, &a, &z9); /* a = z^(2^5 - 1) */
	fe_sqn(&b, &a, 5);
	fe_mul(&b, &b, &a); /* b = z^(2^10 - 1) */
	fe_sqn(&c, &b, 10);
	fe_mul(&c, &c, &b); /* c = z^(2^20 - 1) */
	fe_sqn(out, &c, 20);
	fe_mul(out, out, &c); /* 2^40 - 1 */
	fe_sqn(out, out, 10);
	fe_mul(&a, out, &b); /* a = z^(2^50 - 1) */
	fe_sqn(&b, &a, 50);
	fe_mul(&b, &b, &a); /* b = z^(2^100 - 1) */
	fe_sqn(out, &b, 100);
	fe_mul(out, out, &b); /* 2^200 - 1 */
	fe_sqn(out, out, 50);
	fe_mul(out, out, &a); /* 2^250 - 1 */
}

/* fe_invert: h = z^(p-2) = z^(2^255 - 21) = 1/z (0 maps to 0). */
static inline void fe_invert(struct fe *h, const struct fe *z)
{
	struct fe t, z11;

	fe_pow_2_250_1(&t, &z11, z);
	fe_sqn(&t, &t, 5);
	fe_mul(h, &t, &z11);
}

/* fe_pow_p58: h = z^((p-5)/8) = z^(2^252 - 3), used for square roots. */
static inline void fe_pow_p58(struct fe *h, const struct fe *z)
{
	struct fe t, z11;

	fe_pow_2_250_1(&t, &z11, z);
	fe_sqn(&t, &t, 2);
	fe_mul(h, &t, z);
}

/* fe_tobytes: canonical little-endian encoding (value fully reduced mod p). */
static inline void fe_tobytes(uint8_t s[32], const struct fe *f)
{
	struct fe h = *f;
	uint64_t q, w[4];

	fe_carry(&h);
	/* q = 1 exactly when h >= p, i.e. when h + 19 reaches 2^255 (h < 2p). */
	q = (h.v[0] + 19) >> 51;
	for (int i = 1; i < 5; i++)
		q = (h.v[i] + q) >> 51;
	h.v[0] += 19 * q;
	for (int i = 0; i < 4; i++) {
		h.v[i + 1] += h.v[i] >> 51;
		h.v[i] &= FE_MASK;
	}
	h.v[4] &= FE_MASK; /* drops the 2^255 of the subtraction */
	w[0] = h.v[0] | h.v[1] << 51;
	w[1] = h.v[1] >> 13 | h.v[2] << 38;
	w[2] = h.v[2] >> 26 | h.v[3] << 25;
	w[3] = h.v[3] >> 39 | h.v[4] << 12;
	for (int i = 0; i < 32; i++)
		s[i] = (uint8_t)(w[i / 8] >> (8 * (i % 8)));
}

/* fe_frombytes: load 255 bits little-endian (bit 255 ignored; not reduced). */
static inline void fe_frombytes(struct fe *h, const uint8_t s[32])
{
	uint64_t w[4] = { 0 };

	for (int i = 31; i >= 0; i--)
		w[i / 8] = (w[i / 8] << 8) | s[i];
	h->v[0] = w[0] & FE_MASK;
	h->v[1] = (w[0] >> 51 | w[1] << 13) & FE_MASK;
	h->v[2] = (w[1] >> 38 | w[2] << 26) & FE_MASK;
	h->v[3] = (w[2] >> 25 | w[3] << 39) & FE_MASK;
	h->v[4] = (w[3] >> 12) & FE_MASK;
}

/* fe_iszero: 1 when f == 0 mod p, else 0 (constant time). */
static inline int fe_iszero(const struct fe *f)
{
	uint8_t s[32], d = 0;

	fe_tobytes(s, f);
	for (int i = 0; i < 32; i++)
		d |= s[i];
	return 1 & (int)(((unsigned)d - 1) >> 8);
}

/* fe_isodd: low bit of the canonical encoding ("negative" in RFC 8032). */
static inline int fe_isodd(const struct fe *f)
{
	uint8_t s[32];

	fe_tobytes(s, f);
	return s[0] & 1;
}

/* fe_cmov: f = g when b == 1, unchanged when b == 0 (masks, no branch). */
static inline void fe_cmov(struct fe *f, const struct fe *g, uint64_t b)
{
	uint64_t mask = 0 - b;

	for (int i = 0; i < 5; i++)
		f->v[i] ^= mask & (f->v[i] ^ g->v[i]);
}

#endif

/* Edwards25519 group operations for Ed25519 (RFC 8032 sections 5.1.2-5.1.5):
 * point decoding with the strict checks, complete addition and doubling in
 * extended coordinates, constant-time fixed-base and variable-base scalar
 * multiplication, and the verification equation. */
#include "cairn/err.h"
#include "crypto.h"
#include "crypto_internal.h"
#include "ed25519_fe.h"

/* A point in extended coordinates: x = X/Z, y = Y/Z, x*y = T/Z. */
struct ge {
	struct fe X, Y, Z, T;
};

/* An affine point prepared for addition: (y+x, y-x, 2*d*x*y). */
struct ge_niels {
	struct fe ypx, ymx, xy2d;
};

/* A projective point prepared for addition: (Y+X, Y-X, Z, 2*d*T). */
struct ge_cached {
	struct fe ypx, ymx, Z, t2d;
};

/* FE_D, FE_D2, FE_SQRTM1 and BASE_TABLE[i][j] = (j+1) * 256^i * B. */
#include "ed25519_table.inc"

/* ge_identity: h = (0, 1). */
static void ge_identity(struct ge *h)
{
	fe_set(&h->X, 0);
	fe_set(&h->Y, 1);
	fe_set(&h->Z, 1);
	fe_set(&h->T, 0);
}

/* ge_finish: the common tail of addition and doubling (RFC 8032 5.1.4). */
static void ge_finish(struct ge *r, const struct fe *e, const struct fe *f, const struct fe *g,
		      const struct fe *h)
{
	fe_mul(&r->X, e, f);
	fe_mul(&r->Y, g, h);
	fe_mul(&r->T, e, h);
	fe_mul(&r->Z, f, g);
}

/* ge_add_core: r = p + q given q's (y+x, y-x), C = T1*2d*T2 and D = 2*Z1*Z2
 * (D may be a lazy sum). Every sum and difference feeds a multiplication only,
 * so none is carried (bounds in ed25519_fe.h). */
static void ge_add_core(struct ge *r, const struct ge *p, const struct fe *ypx,
			const struct fe *ymx, const struct fe *c, const struct fe *d)
{
	struct fe a, b, e, f, g, h;

	fe_sub_lazy(&a, &p->Y, &p->X);
	fe_mul(&a, &a, ymx);
	fe_add_lazy(&b, &p->Y, &p->X);
	fe_mul(&b, &b, ypx);
	fe_sub_lazy(&e, &b, &a);
	fe_sub_lazy(&f, d, c);
	fe_add_lazy(&g, d, c);
	fe_add_lazy(&h, &b, &a);
	ge_finish(r, &e, &f, &g, &h);
}

/* ge_add_niels: r = p + q for an affine q (Z2 = 1). Complete formula. */
static void ge_add_niels(struct ge *r, const struct ge *p, const struct ge_niels *q)
{
	struct fe c, d;

	fe_mul(&c, &p->T, &q->xy2d);
	fe_add_lazy(&d, &p->Z, &p->Z);
	ge_add_core(r, p, &q->ypx, &q->ymx, &c, &d);
}

/* ge_add_cached: r = p + q. Complete formula. */
static void ge_add_cached(struct ge *r, const struct ge *p, const struct ge_cached *q)
{
	struct fe c, d;

	fe_mul(&c, &p->T, &q->t2d);
	fe_mul(&d, &p->Z, &q->Z);
	fe_add_lazy(&d, &d, &d);
	ge_add_core(r, p, &q->ypx, &q->ymx, &c, &d);
}

/* ge_to_cached: prepare p for repeated addition. */
static void ge_to_cached(struct ge_cached *c, const struct ge *p)
{
	fe_add(&c->ypx, &p->Y, &p->X);
	fe_sub(&c->ymx, &p->Y, &p->X);
	c->Z = p->Z;
	fe_mul(&c->t2d, &p->T, &FE_D2);
}

/* ge_dbl_t: r = 2p (RFC 8032 5.1.4 doubling); T is computed only when with_t,
 * since doubling never reads T and only an addition needs it. */
static void ge_dbl_t(struct ge *r, const struct ge *p, int with_t)
{
	struct fe a, b, c, e, f, g, h;

	fe_sq(&a, &p->X);
	fe_sq(&b, &p->Y);
	fe_sq(&c, &p->Z);
	/* Lazy sums and differences: each feeds only a multiplication (the bounds
	 * in ed25519_fe.h: f, one lazy sum plus one lazy difference, is the largest). */
	fe_add_lazy(&c, &c, &c);
	fe_add_lazy(&h, &a, &b);
	fe_add_lazy(&e, &p->X, &p->Y);
	fe_sq(&e, &e);
	fe_sub_lazy(&e, &h, &e);
	fe_sub_lazy(&g, &a, &b);
	fe_add_lazy(&f, &c, &g);
	fe_mul(&r->X, &e, &f);
	fe_mul(&r->Y, &g, &h);
	if (with_t)
		fe_mul(&r->T, &e, &h);
	fe_mul(&r->Z, &f, &g);
}

/* ge_dbl: r = 2p with T, ready for an addition. */
static void ge_dbl(struct ge *r, const struct ge *p) { ge_dbl_t(r, p, 1); }

/* ge_encode: y with the low bit of x in bit 255 (RFC 8032 5.1.2). */
static void ge_encode(uint8_t s[32], const struct ge *p)
{
	struct fe zi, x, y;

	fe_invert(&zi, &p->Z);
	fe_mul(&x, &p->X, &zi);
	fe_mul(&y, &p->Y, &zi);
	fe_tobytes(s, &y);
	s[31] |= (uint8_t)(fe_isodd(&x) << 7);
}

/* ge_decode: strict RFC 8032 5.1.3 decoding; CAIRN_EBADMSG for y >= p, for y
 * with no x on the curve, and for x = 0 with the sign bit set. Public data only
 * (variable time). */
static int ge_decode(struct ge *p, const uint8_t s[32])
{
	struct fe u, v, v3, t, vx2;
	uint8_t canon[32];
	int sign = s[31] >> 7;

	fe_frombytes(&p->Y, s);
	fe_tobytes(canon, &p->Y);
	canon[31] |= (uint8_t)(sign << 7);
	if (!crypto_ct_equal(canon, s, 32))
		return CAIRN_EBADMSG; /* y >= p: non-canonical */
	fe_set(&p->Z, 1);
	fe_sq(&u, &p->Y);
	fe_mul(&v, &u, &FE_D);
	fe_sub(&u, &u, &p->Z); /* u = y^2 - 1 */
	fe_add(&v, &v, &p->Z); /* v = d y^2 + 1 */
	fe_sq(&v3, &v);
	fe_mul(&v3, &v3, &v); /* v^3 */
	fe_sq(&t, &v3);
	fe_mul(&t, &t, &v);
	fe_mul(&t, &t, &u); /* u v^7 */
	fe_pow_p58(&t, &t);
	fe_mul(&t, &t, &v3);
	fe_mul(&p->X, &t, &u); /* x = u v^3 (u v^7)^((p-5)/8) */
	fe_sq(&vx2, &p->X);
	fe_mul(&vx2, &vx2, &v);
	fe_sub(&t, &vx2, &u);
	if (!fe_iszero(&t)) {
		fe_add(&t, &vx2, &u);
		if (!fe_iszero(&t))
			return CAIRN_EBADMSG; /* not a square: no such point */
		fe_mul(&p->X, &p->X, &FE_SQRTM1);
	}
	if (fe_iszero(&p->X) && sign)
		return CAIRN_EBADMSG; /* x = 0 has only one encoding */
	if (fe_isodd(&p->X) != sign)
		fe_neg(&p->X, &p->X);
	fe_mul(&p->T, &p->X, &p->Y);
	return 0;
}

/* ge_is_small_order: 1 when [8]p is the identity (p has order 1, 2, 4 or 8). */
static int ge_is_small_order(const struct ge *p)
{
	struct ge q;
	struct fe t;

	ge_dbl_t(&q, p, 0);
	ge_dbl_t(&q, &q, 0);
	ge_dbl_t(&q, &q, 0);
	fe_sub(&t, &q.Y, &q.Z);
	return fe_iszero(&q.X) & fe_iszero(&t);
}

/* ct_eq8: 1 when a == b (small values), else 0, without a branch. */
static uint64_t ct_eq8(unsigned a, unsigned b) { return (uint64_t)(((a ^ b) - 1u) >> 31) & 1u; }

/* select_base: t = digit * 256^pos * B for digit in [-8, 8], scanning all eight
 * table entries with masks so neither the digit nor its sign picks an address.
 * The scan works on local words so the compiler can keep them in registers. */
static void select_base(struct ge_niels *t, int pos, int digit)
{
	unsigned u = (unsigned)digit;
	unsigned neg = u >> 31;
	unsigned abs = (u ^ (0u - neg)) + neg;
	uint64_t ypx[5] = { 1 }, ymx[5] = { 1 }, xy[5] = { 0 }, nm = 0 - (uint64_t)neg;

	for (unsigned j = 0; j < 8; j++) {
		const struct ge_niels *e = &BASE_TABLE[pos][j];
		uint64_t m = 0 - ct_eq8(abs, j + 1);
#pragma GCC unroll 5
		for (int w = 0; w < 5; w++) {
			ypx[w] ^= m & (ypx[w] ^ e->ypx.v[w]);
			ymx[w] ^= m & (ymx[w] ^ e->ymx.v[w]);
			xy[w] ^= m & (xy[w] ^ e->xy2d.v[w]);
		}
	}
	/* -(x, y) = (-x, y): swap y+x with y-x and negate 2dxy, under the mask. */
	for (int w = 0; w < 5; w++) {
		uint64_t d = nm & (ypx[w] ^ ymx[w]);
		t->ypx.v[w] = ypx[w] ^ d;
		t->ymx.v[w] = ymx[w] ^ d;
		t->xy2d.v[w] = xy[w];
	}
	struct fe nxy;
	fe_neg(&nxy, &t->xy2d);
	fe_cmov(&t->xy2d, &nxy, neg);
}

/* recode16: signed radix-16 digits e[0..63] in [-8, 8) (e[63] in [0, 8]) with
 * a = sum e[i] 16^i, for a < 2^255. */
static void recode16(int8_t e[64], const uint8_t a[32])
{
	int carry = 0;

	for (int i = 0; i < 32; i++) {
		e[2 * (size_t)i] = (int8_t)(a[i] & 15);
		e[2 * i + 1] = (int8_t)(a[i] >> 4);
	}
	for (int i = 0; i < 63; i++) {
		int v = e[i] + carry;
		carry = (v + 8) >> 4; /* v + 8 >= 0: no signed shift */
		e[i] = (int8_t)(v - carry * 16);
	}
	e[63] = (int8_t)(e[63] + carry);
}

/* CT_TEST_LEAK_SKIP: nothing, except in the deliberately leaky library that only
 * test/unit/crypto builds (CRYPTO_CT_TEST_LEAK) to prove its timing test can fail:
 * there a zero digit skips its addition, the classic secret-dependent branch. */
#if defined(CRYPTO_CT_TEST_LEAK)
#if !defined(CAIRN_HOST)
#error "CRYPTO_CT_TEST_LEAK is for the host timing test only"
#endif
#define CT_TEST_LEAK_SKIP(digit)                                                                   \
	if ((digit) == 0)                                                                          \
	continue
#else
#define CT_TEST_LEAK_SKIP(digit) ((void)0)
#endif

/* ge_scalarmult_base: h = [a]B for a < 2^255, constant time in a: 64 table
 * selections, 64 additions and 4 doublings, the same for every a. */
static void ge_scalarmult_base(struct ge *h, const uint8_t a[32])
{
	int8_t e[64];
	struct ge_niels t;

	recode16(e, a);
	ge_identity(h);
	for (int i = 1; i < 64; i += 2) {
		CT_TEST_LEAK_SKIP(e[i]);
		select_base(&t, i / 2, e[i]);
		ge_add_niels(h, h, &t);
	}
	for (int i = 0; i < 4; i++)
		ge_dbl_t(h, h, i == 3);
	for (int i = 0; i < 64; i += 2) {
		CT_TEST_LEAK_SKIP(e[i]);
		select_base(&t, i / 2, e[i]);
		ge_add_niels(h, h, &t);
	}
	crypto_wipe(e, sizeof e);
	crypto_wipe(&t, sizeof t);
}

/* wnaf: width-w NAF of k < 2^253 (w <= 8): naf[i] is 0 or odd in
 * (-2^(w-1), 2^(w-1)), k = sum naf[i] 2^i, and any two non-zero digits are at
 * least w positions apart. Scans with a carry instead of shifting k: at an odd
 * position (bit + carry) the next w bits plus the carry give the digit; a digit
 * above 2^(w-1) becomes negative and carries 2^w up. Below 2^253 the last
 * window (at or above bit 253 - w) is under 2^(w-1), so nothing carries past
 * bit 255. Variable time: for public scalars (verification) only. */
static void wnaf(int8_t naf[256], const uint8_t k[32], int w)
{
	uint8_t b[34] = { 0 }; /* two zero bytes past the end */
	unsigned carry = 0;

	for (int i = 0; i < 32; i++)
		b[i] = k[i];
	for (int i = 0; i < 256; i++)
		naf[i] = 0;
	for (int i = 0; i < 256;) {
		unsigned win = (unsigned)(b[i >> 3] | b[(i >> 3) + 1] << 8) >> (i & 7);
		if (((win & 1) ^ carry) == 0) { /* bit + carry even: digit 0 */
			i++;
			continue;
		}
		int d = (int)((win & ((1u << w) - 1)) + carry);
		carry = (unsigned)d >> (w - 1); /* d >= 2^(w-1): take d - 2^w */
		naf[i] = (int8_t)(d - (int)(carry << w));
		i += w;
	}
}

/* ge_add_digit_cached: h += d * P for odd d, tab[j] = (2j + 1) P (public d). */
static void ge_add_digit_cached(struct ge *h, const struct ge_cached tab[8], int d)
{
	struct ge_cached n;

	if (d > 0) {
		ge_add_cached(h, h, &tab[d / 2]);
	} else if (d < 0) {
		n.ypx = tab[-d / 2].ymx;
		n.ymx = tab[-d / 2].ypx;
		n.Z = tab[-d / 2].Z;
		fe_neg(&n.t2d, &tab[-d / 2].t2d);
		ge_add_cached(h, h, &n);
	}
}

/* ge_add_digit_base: h += d * B for odd d in [-63, 63] (public d), from the
 * odd multiples BASE_ODD[j] = (2j+1) B. */
static void ge_add_digit_base(struct ge *h, int d)
{
	struct ge_niels n;

	if (d > 0) {
		ge_add_niels(h, h, &BASE_ODD[d / 2]);
	} else if (d < 0) {
		n.ypx = BASE_ODD[-d / 2].ymx;
		n.ymx = BASE_ODD[-d / 2].ypx;
		fe_neg(&n.xy2d, &BASE_ODD[-d / 2].xy2d);
		ge_add_niels(h, h, &n);
	}
}

/* ge_double_scalarmult_vartime: h = [k]P + [s]B, sharing the doublings
 * (Straus), width-5 NAF for P (8 odd multiples computed here) and width-7 NAF
 * for B (32 precomputed odd multiples: about 32 additions for s instead of
 * 51 with width 4). Public inputs only; k, s < 2^253. */
static void ge_double_scalarmult_vartime(struct ge *h, const uint8_t k[32], const struct ge *p,
					 const uint8_t s[32])
{
	int8_t nk[256], ns[256];
	struct ge_cached tab[8];
	struct ge p2;
	int i = 255;

	wnaf(nk, k, 5);
	wnaf(ns, s, 7);
	ge_to_cached(&tab[0], p);
	ge_dbl(&p2, p);
	for (int j = 1; j < 8; j++) {
		struct ge t;
		ge_add_cached(&t, &p2, &tab[j - 1]);
		ge_to_cached(&tab[j], &t);
	}
	ge_identity(h);
	while (i >= 0 && !nk[i] && !ns[i])
		i--;
	for (; i >= 0; i--) {
		ge_dbl_t(h, h, nk[i] || ns[i]);
		ge_add_digit_cached(h, tab, nk[i]);
		ge_add_digit_base(h, ns[i]);
	}
}

/* crypto_ed25519_base_encode: out = encode([a]B); constant time in a. */
void crypto_ed25519_base_encode(uint8_t out[32], const uint8_t a[32])
{
	struct ge p;

	ge_scalarmult_base(&p, a);
	ge_encode(out, &p);
	crypto_wipe(&p, sizeof p);
}

/* ge_encode_inv: ge_encode with zi = 1/Z already known. */
static void ge_encode_inv(uint8_t s[32], const struct ge *p, const struct fe *zi)
{
	struct fe x, y;

	fe_mul(&x, &p->X, zi);
	fe_mul(&y, &p->Y, zi);
	fe_tobytes(s, &y);
	s[31] |= (uint8_t)(fe_isodd(&x) << 7);
}

/* crypto_ed25519_base_encode2: out1 = encode([a1]B), out2 = encode([a2]B) with
 * one field inversion for both (Montgomery's trick: with z = 1/(Z1 Z2),
 * 1/Z1 = z Z2 and 1/Z2 = z Z1; Z is never 0 on this curve). Constant time in
 * both scalars. Signing with a seed needs both A and R, and an inversion is
 * about a fifth of a fixed-base multiplication. */
void crypto_ed25519_base_encode2(uint8_t out1[32], const uint8_t a1[32], uint8_t out2[32],
				 const uint8_t a2[32])
{
	struct ge p1, p2;
	struct fe z, zi1, zi2;

	ge_scalarmult_base(&p1, a1);
	ge_scalarmult_base(&p2, a2);
	fe_mul(&z, &p1.Z, &p2.Z);
	fe_invert(&z, &z);
	fe_mul(&zi1, &z, &p2.Z);
	fe_mul(&zi2, &z, &p1.Z);
	ge_encode_inv(out1, &p1, &zi1);
	ge_encode_inv(out2, &p2, &zi2);
	crypto_wipe(&p1, sizeof p1);
	crypto_wipe(&p2, sizeof p2);
	crypto_wipe(&z, sizeof z);
	crypto_wipe(&zi1, sizeof zi1);
	crypto_wipe(&zi2, sizeof zi2);
}

/* crypto_ed25519_check: the strict verification equation for public values.
 * A must decode canonically and not be of small order; R' = [S]B - [k]A must
 * encode to R byte for byte (so R is canonical and on the curve) and must not be
 * of small order (then R, the same point, is not). 0 or CAIRN_EBADMSG. */
int crypto_ed25519_check(const uint8_t r[32], const uint8_t s[32], const uint8_t k[32],
			 const uint8_t a[32])
{
	struct ge pa, rp;
	uint8_t enc[32];

	if (ge_decode(&pa, a) || ge_is_small_order(&pa))
		return CAIRN_EBADMSG;
	fe_neg(&pa.X, &pa.X);
	fe_neg(&pa.T, &pa.T); /* -A */
	ge_double_scalarmult_vartime(&rp, k, &pa, s);
	ge_encode(enc, &rp);
	if (!crypto_ct_equal(enc, r, 32) || ge_is_small_order(&rp))
		return CAIRN_EBADMSG;
	return 0;
}

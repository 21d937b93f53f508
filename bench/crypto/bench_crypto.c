/* Crypto benchmark: CRC32-C and SHA-256/512 throughput over a 16 MiB buffer,
 * Ed25519 signs/s and verifies/s, each printed next to a reference measured in
 * the same run and the ratio cairn/reference. libsodium has no CRC32-C, so the
 * CRC references are a plain bitwise CRC (the floor) and memcpy (the ceiling).
 * Every figure is the best of REPS runs, alternating cairn and reference, which
 * keeps a shared, noisy machine from favouring either side; many short runs
 * (rather than a few long ones) make it likely that some run of each side saw
 * no interference, so the minimum is steady even on a loaded 2-core box. */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "crypto.h"
#include "crypto_internal.h"

#define BUF_SIZE (16u << 20)
#define SIG_ITERS 250
#define REPS 20

/* One measured job: does a fixed amount of work on the globals below. */
typedef void (*job_fn)(void);

static uint8_t *buf, *dst;
static uint8_t seed[32] = { 7 }, pub[32], pk[32], sk[64], sig[64], msg[64] = { 1 };
/* sink: keeps results alive so the compiler cannot drop the measured work. */
static volatile uint64_t sink;
static struct crypto_ed25519_key ekey;

/* now_s: this thread's CPU time in seconds: time the scheduler gave to other
 * processes on a shared machine is not counted against either side. */
static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* crc_bitwise: reference CRC32-C, one bit at a time. */
static uint32_t crc_bitwise(uint32_t crc, const uint8_t *p, size_t len)
{
	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1u)));
	}
	return ~crc;
}

/* The jobs. The CRC references and the soft clmul do 1/8 of the buffer. */
/* j_crc: Cairn CRC32-C over the buffer. */
static void j_crc(void) { sink += crypto_crc32c(0, buf, BUF_SIZE); }
/* j_crc_bit: bitwise reference CRC over 1/8 of the buffer. */
static void j_crc_bit(void) { sink += crc_bitwise(0, buf, BUF_SIZE / 8); }
/* j_crc_soft: the folding code with software clmul over 1/8 of the buffer. */
static void j_crc_soft(void) { sink += crypto_crc32c_fold_soft(0, buf, BUF_SIZE / 8); }
/* j_memcpy: copy the buffer (the bandwidth ceiling). */
static void j_memcpy(void)
{
	memcpy(dst, buf, BUF_SIZE);
	sink += dst[BUF_SIZE / 2];
}
/* j_sha256: Cairn SHA-256 of the buffer. */
static void j_sha256(void)
{
	uint8_t d[32];
	crypto_sha256(buf, BUF_SIZE, d);
	sink += d[0];
}
/* j_sha256_na: libsodium SHA-256 of the buffer. */
static void j_sha256_na(void)
{
	uint8_t d[32];
	crypto_hash_sha256(d, buf, BUF_SIZE);
	sink += d[0];
}
/* j_sha512: Cairn SHA-512 of the buffer. */
static void j_sha512(void)
{
	uint8_t d[64];
	crypto_sha512(buf, BUF_SIZE, d);
	sink += d[0];
}
/* j_sha512_na: libsodium SHA-512 of the buffer. */
static void j_sha512_na(void)
{
	uint8_t d[64];
	crypto_hash_sha512(d, buf, BUF_SIZE);
	sink += d[0];
}

/* j_sign: SIG_ITERS Cairn signatures of varying messages. */
static void j_sign(void)
{
	for (int i = 0; i < SIG_ITERS; i++) {
		msg[0] = (uint8_t)i;
		crypto_ed25519_sign(sig, msg, sizeof msg, seed, pub);
	}
}

/* j_sign_key: SIG_ITERS Cairn signatures with the key expanded once. */
static void j_sign_key(void)
{
	for (int i = 0; i < SIG_ITERS; i++) {
		msg[0] = (uint8_t)i;
		crypto_ed25519_sign_key(sig, msg, sizeof msg, &ekey);
	}
}

/* j_sign_na: SIG_ITERS libsodium signatures. */
static void j_sign_na(void)
{
	for (int i = 0; i < SIG_ITERS; i++) {
		msg[0] = (uint8_t)i;
		crypto_sign_detached(sig, NULL, msg, sizeof msg, sk);
	}
}

/* j_verify: SIG_ITERS Cairn verifications of the last signature (valid). */
static void j_verify(void)
{
	for (int i = 0; i < SIG_ITERS; i++)
		sink += (uint64_t)crypto_ed25519_verify(sig, msg, sizeof msg, pub);
}

/* j_verify_na: SIG_ITERS libsodium verifications. */
static void j_verify_na(void)
{
	for (int i = 0; i < SIG_ITERS; i++)
		sink += (uint64_t)crypto_sign_verify_detached(sig, msg, sizeof msg, pk);
}

/* compare: best-of-REPS times of two jobs (alternating), printed as rates of
 * `work` units per second and their ratio. */
static void compare(const char *what, const char *unit, double work_a, job_fn a, const char *ref,
		    double work_b, job_fn b)
{
	double ta = 1e9, tb = 1e9;

	for (int r = 0; r < REPS; r++) {
		double t0 = now_s();
		a();
		double t1 = now_s();
		b();
		double t2 = now_s();
		ta = t1 - t0 < ta ? t1 - t0 : ta;
		tb = t2 - t1 < tb ? t2 - t1 : tb;
	}
	printf("%-20s cairn %9.1f %-5s | %-15s %9.1f %-5s | ratio %.2f\n", what, work_a / ta, unit,
	       ref, work_b / tb, unit, (work_a / ta) / (work_b / tb));
}

/* main: fill the buffers, run each comparison, print the table. */
int main(void)
{
	const double mib = BUF_SIZE / (1024.0 * 1024.0);

	buf = malloc(BUF_SIZE);
	dst = malloc(BUF_SIZE);
	if (!buf || !dst || sodium_init() < 0)
		return 1;
	for (size_t i = 0; i < BUF_SIZE; i++)
		buf[i] = (uint8_t)(i * 2654435761u >> 13);
	memset(dst, 0, BUF_SIZE);
	crypto_ed25519_public(seed, pub);
	crypto_ed25519_key_from_seed(&ekey, seed);
	if (crypto_sign_seed_keypair(pk, sk, seed) != 0)
		return 1;
	printf("cairn crypto benchmark: %u MiB buffers, %d Ed25519 ops per run, best of %d\n",
	       BUF_SIZE >> 20, SIG_ITERS, REPS);
	compare("crc32c (table)", "MiB/s", mib, j_crc, "bitwise ref", mib / 8, j_crc_bit);
	compare("crc32c (table)", "MiB/s", mib, j_crc, "memcpy ceiling", mib, j_memcpy);
	compare("crc32c (soft clmul)", "MiB/s", mib / 8, j_crc_soft, "table", mib, j_crc);
	compare("sha256", "MiB/s", mib, j_sha256, "libsodium", mib, j_sha256_na);
	compare("sha512", "MiB/s", mib, j_sha512, "libsodium", mib, j_sha512_na);
	compare("ed25519 sign (seed)", "op/s", SIG_ITERS, j_sign, "libsodium", SIG_ITERS,
		j_sign_na);
	compare("ed25519 sign (key)", "op/s", SIG_ITERS, j_sign_key, "libsodium", SIG_ITERS,
		j_sign_na);
	compare("ed25519 verify", "op/s", SIG_ITERS, j_verify, "libsodium", SIG_ITERS, j_verify_na);
	free(buf);
	free(dst);
	return 0;
}

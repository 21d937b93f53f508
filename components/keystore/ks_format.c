/* The devsecret sector, the KEK derivation and the sealed key record (layouts in
 * ks_format.h and docs/keystore.md). Every field read from a disk or a record is
 * checked before use; error reasons are fixed strings and never contain data. */
#include "ks_format.h"

#include <string.h>

#include "cairn/err.h"
#include "crypto.h"

/* put16/put32/put64, get16/get32/get64: little-endian fields. */
static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* all_zero: true when n bytes at p are zero. */
static bool all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;

	for (size_t i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* fail: set the reason and return CAIRN_EBADMSG. */
static int fail(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return CAIRN_EBADMSG;
}

/* ks_devsecret_build: magic, version 1, flags 0, secret, CRC32-C, zero padding. */
void ks_devsecret_build(uint8_t sector[KS_DEVSECRET_SECTOR],
			const uint8_t secret[KS_DEVSECRET_SECRET])
{
	memset(sector, 0, KS_DEVSECRET_SECTOR);
	memcpy(sector, KS_DEVSECRET_MAGIC, 8);
	put32(sector + 8, KS_DEVSECRET_VERSION);
	memcpy(sector + 16, secret, KS_DEVSECRET_SECRET);
	put32(sector + 48, crypto_crc32c(0, sector, 48));
}

/* ks_devsecret_parse: every check of the format, in order of the fields. */
int ks_devsecret_parse(const uint8_t *buf, size_t len, uint8_t secret[KS_DEVSECRET_SECRET],
		       const char **why)
{
	if (len < KS_DEVSECRET_SECTOR) {
		if (why)
			*why = "shorter than one sector";
		return CAIRN_EINVAL;
	}
	if (memcmp(buf, KS_DEVSECRET_MAGIC, 8) != 0)
		return fail(why, "bad magic (not a devsecret disk)");
	if (get32(buf + 8) != KS_DEVSECRET_VERSION)
		return fail(why, "unknown version");
	if (get32(buf + 12) != 0)
		return fail(why, "unknown flags");
	if (get32(buf + 48) != crypto_crc32c(0, buf, 48))
		return fail(why, "CRC mismatch");
	if (!all_zero(buf + KS_DEVSECRET_HEADER, KS_DEVSECRET_SECTOR - KS_DEVSECRET_HEADER))
		return fail(why, "non-zero padding");
	if (all_zero(buf + 16, KS_DEVSECRET_SECRET))
		return fail(why, "all-zero secret");
	memcpy(secret, buf + 16, KS_DEVSECRET_SECRET);
	return 0;
}

/* ks_kek_derive: HKDF-SHA256 with the versioned label. */
int ks_kek_derive(const uint8_t secret[KS_DEVSECRET_SECRET], uint8_t kek[KS_KEY])
{
	return crypto_hkdf_sha256(KS_KEK_SALT, sizeof KS_KEK_SALT - 1, secret, KS_DEVSECRET_SECRET,
				  KS_KEK_INFO, sizeof KS_KEK_INFO - 1, kek, KS_KEY);
}

/* ks_type_flags_ok: signing keys sign and verify, HMAC keys MAC and check,
 * derivation keys derive; at least one use, nothing else. */
bool ks_type_flags_ok(uint8_t type, uint16_t flags)
{
	uint16_t allowed;

	switch (type) {
	case KS_TYPE_ED25519:
	case KS_TYPE_HMAC:
		allowed = KS_USE_SIGN | KS_USE_VERIFY;
		break;
	case KS_TYPE_DERIVE:
		allowed = KS_USE_DERIVE;
		break;
	default:
		return false;
	}
	return flags && !(flags & ~allowed);
}

/* name_chars: length 1..max and every byte in [a-z0-9_] (plus ".-" when extra). */
static bool name_chars(const char *s, size_t max, bool extra)
{
	size_t n = 0;

	if (!s)
		return false;
	for (; s[n]; n++) {
		char c = s[n];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
			  (extra && (c == '.' || c == '-'));
		if (!ok || n >= max)
			return false;
	}
	return n > 0 && s[0] != '.';
}

bool ks_owner_ok(const char *owner) { return name_chars(owner, KS_OWNER_MAX, false); }

bool ks_name_ok(const char *name) { return name_chars(name, KS_NAME_MAX, true); }

/* ks_record_key: the statefs key of a record. */
int ks_record_key(char *out, size_t cap, const char *owner, const char *name)
{
	static const char pre[] = "/state/keystore/";

	if (!ks_owner_ok(owner) || !ks_name_ok(name))
		return CAIRN_EINVAL;
	size_t po = sizeof pre - 1, on = strlen(owner), nn = strlen(name);
	if (po + on + 1 + nn + 1 > cap)
		return CAIRN_EINVAL;
	memcpy(out, pre, po);
	memcpy(out + po, owner, on);
	out[po + on] = '/';
	memcpy(out + po + on + 1, name, nn + 1);
	return 0;
}

/* build_ad: AD = header[0..64) || len(owner) || owner || len(name) || name. */
static size_t build_ad(uint8_t *ad, const uint8_t *hdr, const char *owner, const char *name)
{
	size_t on = strlen(owner), nn = strlen(name), n = 0;

	memcpy(ad, hdr, KS_RECORD_HEADER);
	n = KS_RECORD_HEADER;
	ad[n++] = (uint8_t)on;
	memcpy(ad + n, owner, on);
	n += on;
	ad[n++] = (uint8_t)nn;
	memcpy(ad + n, name, nn);
	return n + nn;
}

#define KS_AD_MAX (KS_RECORD_HEADER + 2 + KS_OWNER_MAX + KS_NAME_MAX)

/* ks_record_seal: header, AEAD over the secret, CRC over the rest. */
int ks_record_seal(uint8_t rec[KS_RECORD_SIZE], const uint8_t kek[KS_KEY], const struct ks_meta *m,
		   const char *owner, const char *name, const uint8_t secret[KS_KEY])
{
	uint8_t ad[KS_AD_MAX];

	if (!ks_owner_ok(owner) || !ks_name_ok(name) || !ks_type_flags_ok(m->type, m->flags))
		return CAIRN_EINVAL;
	memset(rec, 0, KS_RECORD_SIZE);
	memcpy(rec, KS_RECORD_MAGIC, 4);
	rec[4] = KS_RECORD_VERSION;
	rec[5] = m->type;
	put16(rec + 6, m->flags);
	put64(rec + 8, m->created_boot);
	memcpy(rec + 16, m->nonce, KS_NONCE);
	memcpy(rec + 32, m->pub, KS_PUBLIC);
	size_t adn = build_ad(ad, rec, owner, name);
	int err = crypto_aead_seal(kek, m->nonce, ad, adn, secret, KS_KEY, rec + 64, rec + 96);
	if (err)
		return err;
	put32(rec + 112, crypto_crc32c(0, rec, 112));
	return 0;
}

/* ks_record_parse: structure only; a record that passes may still not open. */
int ks_record_parse(const uint8_t *rec, size_t len, struct ks_meta *m, const char **why)
{
	if (len != KS_RECORD_SIZE)
		return fail(why, "wrong record length");
	if (get32(rec + 112) != crypto_crc32c(0, rec, 112))
		return fail(why, "CRC mismatch (damaged)");
	if (memcmp(rec, KS_RECORD_MAGIC, 4) != 0)
		return fail(why, "bad magic");
	if (rec[4] != KS_RECORD_VERSION)
		return fail(why, "unknown version");
	if (!ks_type_flags_ok(rec[5], get16(rec + 6)))
		return fail(why, "unknown type or flags");
	if (!all_zero(rec + 28, 4))
		return fail(why, "non-zero reserved bytes");
	m->type = rec[5];
	m->flags = get16(rec + 6);
	m->created_boot = get64(rec + 8);
	memcpy(m->nonce, rec + 16, KS_NONCE);
	memcpy(m->pub, rec + 32, KS_PUBLIC);
	return 0;
}

/* ks_record_open: parse, rebuild the AD for this owner/name, open the AEAD. */
int ks_record_open(const uint8_t *rec, size_t len, const uint8_t kek[KS_KEY], const char *owner,
		   const char *name, struct ks_meta *m, uint8_t secret[KS_KEY], const char **why)
{
	uint8_t ad[KS_AD_MAX];

	memset(secret, 0, KS_KEY);
	if (!ks_owner_ok(owner) || !ks_name_ok(name))
		return fail(why, "bad owner or name");
	int err = ks_record_parse(rec, len, m, why);
	if (err)
		return err;
	size_t adn = build_ad(ad, rec, owner, name);
	if (crypto_aead_open(kek, m->nonce, ad, adn, rec + 64, KS_KEY, rec + 96, secret) != 0)
		return fail(why, "does not authenticate (tampered, moved, or another root secret)");
	return 0;
}

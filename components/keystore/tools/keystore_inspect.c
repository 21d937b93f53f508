/* keystore-inspect: list the keystore records of a statefs image: owner, name,
 * type, usage flags, creation boot, the public key's first 16 hex digits (Ed25519
 * keys), and whether each record opens under the given device root secret. It
 * never prints secret material. The image is mounted read-only.
 * Exit status: 0 every record opens; 1 a record does not open, a malformed
 * root secret or a corrupt image; 2 usage or I/O error.
 * Usage: keystore-inspect [-s SECTOR_SIZE] STATE_IMAGE DEVSECRET_FILE */
#include <stdio.h>
#include <string.h>

#include "crypto.h"
#include "ks_format.h"
#include "tool_common.h"

#define PREFIX "/state/keystore/"

/* usage: the synopsis, exit code 2. */
static int usage(void)
{
	fprintf(stderr, "usage: keystore-inspect [-s SECTOR_SIZE] STATE_IMAGE DEVSECRET_FILE\n");
	return TOOL_EXIT_USAGE;
}

/* read_secret: sector 0 of the devsecret file into kek (via the root secret). */
static int read_secret(const char *path, uint8_t kek[KS_KEY])
{
	uint8_t sector[KS_DEVSECRET_SECTOR], root[KS_DEVSECRET_SECRET];
	const char *why = "";
	FILE *f = fopen(path, "rb");

	if (!f) {
		perror(path);
		return TOOL_EXIT_USAGE;
	}
	size_t n = fread(sector, 1, sizeof sector, f);
	fclose(f);
	int err = ks_devsecret_parse(sector, n, root, &why);
	crypto_wipe(sector, sizeof sector);
	if (err) {
		fprintf(stderr, "keystore-inspect: %s: not a device root secret (%s)\n", path, why);
		return TOOL_EXIT_CORRUPT;
	}
	err = ks_kek_derive(root, kek);
	crypto_wipe(root, sizeof root);
	return err ? TOOL_EXIT_USAGE : 0;
}

/* type_name: the record type byte as a word. */
static const char *type_name(uint8_t t)
{
	return t == KS_TYPE_ED25519 ? "ed25519" : t == KS_TYPE_HMAC ? "hmac-sha256" : "derive-256";
}

/* show: one line for one record; returns 1 when it does not open. */
static int show(struct statefs *fs, const char *key, const uint8_t kek[KS_KEY])
{
	char owner[KS_OWNER_MAX + 1] = "?", name[KS_NAME_MAX + 1] = "?";
	uint8_t rec[KS_RECORD_SIZE + 1], secret[KS_KEY];
	struct ks_meta m;
	const char *why = "";
	const char *o = key + strlen(PREFIX), *slash = strchr(o, '/');

	if (slash && (size_t)(slash - o) <= KS_OWNER_MAX && strlen(slash + 1) <= KS_NAME_MAX) {
		memcpy(owner, o, (size_t)(slash - o));
		owner[slash - o] = 0;
		strcpy(name, slash + 1);
	}
	int n = statefs_get(fs, key, rec, sizeof rec);
	if (n < 0) {
		printf("%s\t%s\t-\t-\t-\t-\tDOES NOT OPEN (%s)\n", owner, name,
		       n == CAIRN_ERANGE ? "record too long" : cairn_strerror(n));
		return 1;
	}
	int err = ks_record_parse(rec, (size_t)n, &m, &why);
	if (err) {
		printf("%s\t%s\t-\t-\t-\t-\tDOES NOT OPEN (%s)\n", owner, name, why);
		return 1;
	}
	err = ks_record_open(rec, (size_t)n, kek, owner, name, &m, secret, &why);
	crypto_wipe(secret, sizeof secret);
	char pub[17] = "-";
	if (m.type == KS_TYPE_ED25519)
		for (int i = 0; i < 8; i++)
			snprintf(pub + 2 * i, 3, "%02x", m.pub[i]);
	printf("%s\t%s\t%s\tflags=0x%x\tboot=%llu\tpub=%s\t%s%s%s\n", owner, name,
	       type_name(m.type), m.flags, (unsigned long long)m.created_boot, pub,
	       err ? "DOES NOT OPEN (" : "opens", err ? why : "", err ? ")" : "");
	return err ? 1 : 0;
}

/* list_records: every key under /state/keystore/, in bounded steps. */
static int list_records(struct statefs *fs, const uint8_t kek[KS_KEY])
{
	struct statefs_dirent d[16];
	char after[STATEFS_KEY_MAX + 1] = "";
	int n, total = 0, bad = 0;

	printf("owner\tname\ttype\tflags\tcreated\tpublic\tstatus\n");
	do {
		n = statefs_list(fs, PREFIX, after, d, 16);
		if (n < 0) {
			fprintf(stderr, "keystore-inspect: list: %s\n", cairn_strerror(n));
			return TOOL_EXIT_CORRUPT;
		}
		for (int i = 0; i < n; i++)
			bad += show(fs, d[i].key, kek);
		if (n > 0)
			memcpy(after, d[n - 1].key, sizeof after);
		total += n;
	} while (n == 16);
	fprintf(stderr, "keystore-inspect: %d records, %d do not open\n", total, bad);
	return bad ? TOOL_EXIT_CORRUPT : TOOL_EXIT_OK;
}

int main(int argc, char **argv)
{
	uint32_t ss = 0;
	uint8_t kek[KS_KEY];
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-s") == 0 && i + 1 < argc &&
		    (ss = tool_parse_sector_size(argv[i + 1])))
			i++;
		else
			return usage();
	}
	if (argc - i != 2)
		return usage();
	int rc = read_secret(argv[i + 1], kek);
	if (rc)
		return rc;
	struct blkdev_file f;
	struct statefs *fs;
	rc = tool_open("keystore-inspect", argv[i], ss, false, &f);
	if (rc == 0) {
		rc = tool_mount("keystore-inspect", argv[i], &f, false, &fs, NULL);
		if (rc == 0) {
			rc = list_records(fs, kek);
			statefs_abandon(fs);
		}
		blkdev_file_close(&f);
	}
	crypto_wipe(kek, sizeof kek);
	return rc;
}

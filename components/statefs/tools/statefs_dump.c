/* statefs-dump: list the keys of a statefs image with their value sizes, or print
 * one value raw with --get KEY. Exit status: 0 ok, 1 corrupt or key not found,
 * 2 usage or I/O error.
 * Usage: statefs-dump [-s SECTOR_SIZE] [--get KEY] IMAGE */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool_common.h"

/* usage: print the synopsis and return the usage exit code. */
static int usage(void)
{
	fprintf(stderr, "usage: statefs-dump [-s SECTOR_SIZE] [--get KEY] IMAGE\n");
	return TOOL_EXIT_USAGE;
}

/* list_all: print "size<TAB>key" for every key, walking in bounded steps. */
static int list_all(struct statefs *fs)
{
	struct statefs_dirent d[32];
	char after[STATEFS_KEY_MAX + 1] = "";
	int n, total = 0;
	do {
		n = statefs_list(fs, STATEFS_KEY_PREFIX, after, d, 32);
		if (n < 0)
			return TOOL_EXIT_CORRUPT;
		for (int i = 0; i < n; i++)
			printf("%u\t%s\n", d[i].value_len, d[i].key);
		if (n > 0)
			memcpy(after, d[n - 1].key, sizeof(after));
		total += n;
	} while (n == 32);
	fprintf(stderr, "statefs-dump: %d keys\n", total);
	return TOOL_EXIT_OK;
}

/* get_one: write key's value to stdout. */
static int get_one(struct statefs *fs, const char *key)
{
	uint8_t *buf = malloc(STATEFS_VALUE_MAX);
	if (!buf)
		return TOOL_EXIT_USAGE;
	int n = statefs_get(fs, key, buf, STATEFS_VALUE_MAX);
	int rc = TOOL_EXIT_OK;
	if (n < 0) {
		fprintf(stderr, "statefs-dump: %s: %s\n", key,
			n == CAIRN_ENOENT   ? "not found"
			: n == CAIRN_EINVAL ? "invalid key"
					    : cairn_strerror(n));
		rc = n == CAIRN_EIO ? TOOL_EXIT_USAGE : TOOL_EXIT_CORRUPT;
	} else if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) {
		rc = TOOL_EXIT_USAGE;
	}
	free(buf);
	return rc;
}

int main(int argc, char **argv)
{
	const char *key = NULL;
	uint32_t ss = 0;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--get") == 0 && i + 1 < argc)
			key = argv[++i];
		else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc &&
			 (ss = tool_parse_sector_size(argv[i + 1])))
			i++;
		else
			return usage();
	}
	if (argc - i != 1)
		return usage();
	struct blkdev_file f;
	struct statefs *fs;
	int rc = tool_open("statefs-dump", argv[i], ss, false, &f);
	if (rc)
		return rc;
	rc = tool_mount("statefs-dump", argv[i], &f, false, &fs, NULL);
	if (rc == 0) {
		rc = key ? get_one(fs, key) : list_all(fs);
		statefs_abandon(fs);
	}
	blkdev_file_close(&f);
	return rc;
}

/* mkstatefs: create (or overwrite) an image file holding an empty statefs store,
 * optionally pre-populated with --add KEY=VALUE entries.
 * Usage: mkstatefs [-s SECTOR_SIZE] [--add KEY=VALUE]... IMAGE SIZE[K|M|G] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool_common.h"

#define MAX_ADDS 256

/* usage: print the synopsis and return the usage exit code. */
static int usage(void)
{
	fprintf(stderr, "usage: mkstatefs [-s SECTOR_SIZE] [--ckpt-interval BYTES] "
			"[--add KEY=VALUE]... IMAGE SIZE[K|M|G]\n");
	return TOOL_EXIT_USAGE;
}

/* parse_size: bytes with an optional K/M/G suffix; 0 when invalid. */
static uint64_t parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	unsigned shift = 0;
	if (*end == 'K' || *end == 'k')
		shift = 10, end++;
	else if (*end == 'M' || *end == 'm')
		shift = 20, end++;
	else if (*end == 'G' || *end == 'g')
		shift = 30, end++;
	if (*s < '0' || *s > '9' || *end != '\0' || v > (UINT64_MAX >> 31))
		return 0;
	return (uint64_t)v << shift;
}

/* add_entries: put every KEY=VALUE and unmount. */
static int add_entries(const char *path, struct blkdev_file *f, char **adds, int nadds,
		       uint32_t interval)
{
	struct statefs *fs;
	int rc = tool_mount_interval("mkstatefs", path, f, true, interval, &fs, NULL);
	if (rc)
		return rc;
	for (int i = 0; i < nadds; i++) {
		char *eq = strchr(adds[i], '=');
		*eq = '\0';
		int err = statefs_put(fs, adds[i], eq + 1, strlen(eq + 1));
		if (err) {
			fprintf(stderr, "mkstatefs: cannot add '%s': %s\n", adds[i],
				cairn_strerror(err));
			statefs_abandon(fs);
			return TOOL_EXIT_USAGE;
		}
	}
	return statefs_unmount(fs) ? TOOL_EXIT_USAGE : TOOL_EXIT_OK;
}

int main(int argc, char **argv)
{
	uint32_t ss = 512;
	char *adds[MAX_ADDS];
	int nadds = 0, i = 1;
	uint32_t interval = 0; /* statefs_config.ckpt_interval: 0 = the engine's default */
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-s") == 0 && i + 1 < argc) {
			if (!(ss = tool_parse_sector_size(argv[++i])))
				return fprintf(stderr, "mkstatefs: bad sector size '%s'\n",
					       argv[i]),
				       usage();
		} else if (strcmp(argv[i], "--ckpt-interval") == 0 && i + 1 < argc) {
			uint64_t v = parse_size(argv[++i]);
			if (v == 0 || v > UINT32_MAX)
				return fprintf(stderr, "mkstatefs: bad checkpoint interval '%s'\n",
					       argv[i]),
				       usage();
			interval = (uint32_t)v;
		} else if (strcmp(argv[i], "--add") == 0 && i + 1 < argc && nadds < MAX_ADDS &&
			   strchr(argv[i + 1], '=')) {
			adds[nadds++] = argv[++i];
		} else {
			return usage();
		}
	}
	if (argc - i != 2)
		return usage();
	const char *path = argv[i];
	uint64_t size = parse_size(argv[i + 1]);
	if (size == 0 || size % ss != 0)
		return fprintf(stderr, "mkstatefs: size must be a non-zero multiple of %u\n", ss),
		       usage();
	struct blkdev_file f;
	int err = blkdev_file_create(&f, path, ss, size / ss);
	if (err)
		return fprintf(stderr, "mkstatefs: %s: cannot create (%s)\n", path,
			       cairn_strerror(err)),
		       TOOL_EXIT_USAGE;
	f.sync_on_flush = 1;
	err = statefs_format(&f.dev);
	if (err) {
		fprintf(stderr, "mkstatefs: %s: format failed (%s)%s\n", path, cairn_strerror(err),
			err == CAIRN_EINVAL ? ": image too small" : "");
		blkdev_file_close(&f);
		return TOOL_EXIT_USAGE;
	}
	int rc = nadds ? add_entries(path, &f, adds, nadds, interval) : TOOL_EXIT_OK;
	if (blkdev_file_close(&f))
		rc = TOOL_EXIT_USAGE;
	if (rc == 0)
		printf("mkstatefs: %s: %llu sectors of %u bytes, %d entries\n", path,
		       (unsigned long long)(size / ss), ss, nadds);
	return rc;
}

/* Shared helpers of the statefs host tools (see tool_common.h). */
#include "tool_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* tool_parse_sector_size: a power of two in 512..65536, else 0. */
uint32_t tool_parse_sector_size(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);
	if (*s == '\0' || *end != '\0' || v < 512 || v > 65536 || (v & (v - 1)))
		return 0;
	return (uint32_t)v;
}

/* detect_sector_size: the sector size recorded in copy 0 of the superblock. */
static uint32_t detect_sector_size(const char *path)
{
	uint8_t b[16];
	uint32_t ss = 512;
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return ss;
	if (fread(b, 1, sizeof(b), fp) == sizeof(b) && memcmp(b, "CAIRNSFS", 8) == 0) {
		uint32_t v = (uint32_t)b[12] | (uint32_t)b[13] << 8 | (uint32_t)b[14] << 16 |
			     (uint32_t)b[15] << 24;
		if (v >= 512 && v <= 65536 && (v & (v - 1)) == 0)
			ss = v;
	}
	fclose(fp);
	return ss;
}

/* tool_open: see tool_common.h. */
int tool_open(const char *prog, const char *path, uint32_t ss, bool writable, struct blkdev_file *f)
{
	if (ss == 0)
		ss = detect_sector_size(path);
	int err = blkdev_file_open(f, path, ss, !writable);
	if (err == CAIRN_EINVAL) {
		fprintf(stderr,
			"%s: %s: size is not a non-zero multiple of the %u-byte sector size\n",
			prog, path, ss);
		return TOOL_EXIT_CORRUPT;
	}
	if (err) {
		fprintf(stderr, "%s: %s: cannot open (%s)\n", prog, path, cairn_strerror(err));
		return TOOL_EXIT_USAGE;
	}
	f->sync_on_flush = 1;
	return TOOL_EXIT_OK;
}

/* tool_mount: see tool_common.h. */
int tool_mount(const char *prog, const char *path, struct blkdev_file *f, bool writable,
	       struct statefs **fs, struct statefs_replay_report *rep)
{
	return tool_mount_interval(prog, path, f, writable, 0, fs, rep);
}

/* tool_mount_interval: see tool_common.h. */
int tool_mount_interval(const char *prog, const char *path, struct blkdev_file *f, bool writable,
			uint32_t ckpt_interval, struct statefs **fs,
			struct statefs_replay_report *rep)
{
	struct statefs_config cfg = { .bdev = &f->dev,
				      .flags = writable ? 0 : STATEFS_MOUNT_READ_ONLY,
				      .ckpt_interval = ckpt_interval };
	int err = statefs_mount(fs, &cfg, rep);
	if (err == 0)
		return TOOL_EXIT_OK;
	if (err == CAIRN_ENOENT)
		fprintf(stderr, "%s: %s: no statefs superblock found\n", prog, path);
	else if (err == CAIRN_EBADMSG)
		fprintf(stderr, "%s: %s: corrupt: no valid superblock copy\n", prog, path);
	else
		fprintf(stderr, "%s: %s: mount failed (%s)\n", prog, path, cairn_strerror(err));
	return err == CAIRN_EIO || err == CAIRN_ENOMEM ? TOOL_EXIT_USAGE : TOOL_EXIT_CORRUPT;
}

/* libFuzzer target: treat the input as a statefs device image (memory device),
 * mount it read-only without formatting, list every key in bounded steps, get
 * each, run check; then mount a copy writable and exercise put/delete/sync/
 * compaction-free paths. Nothing may crash, leak or hit UB. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blkdev_host.h"
#include "statefs.h"

#define FUZZ_MAX_IMAGE (1u << 20)

/* pick_sector_size: the superblock's sector size when the input claims 4096. */
static uint32_t pick_sector_size(const uint8_t *d, size_t n)
{
	if (n >= 16 && memcmp(d, "CAIRNSFS", 8) == 0 && d[12] == 0 && d[13] == 0x10 && d[14] == 0 && d[15] == 0)
		return 4096;
	return 512;
}

/* walk: list all keys in steps of 5 and read each one. */
static void walk(struct statefs *fs, uint8_t *buf)
{
	struct statefs_dirent d[5];
	char after[STATEFS_KEY_MAX + 1] = "";
	int n, guard = 0;
	do {
		n = statefs_list(fs, STATEFS_KEY_PREFIX, after, d, 5);
		for (int i = 0; i < n; i++)
			(void)statefs_get(fs, d[i].key, buf, STATEFS_VALUE_MAX);
		if (n > 0)
			memcpy(after, d[n - 1].key, sizeof(after));
	} while (n == 5 && ++guard < 100000);
}

/* writable_pass: mount writable and mutate; results are ignored, crashes are not. */
static void writable_pass(struct blkdev *bd, uint8_t *buf)
{
	struct statefs_config cfg = { .bdev = bd };
	struct statefs *fs;
	if (statefs_mount(&fs, &cfg, NULL))
		return;
	memset(buf, 0xA5, 3000);
	(void)statefs_put(fs, "/state/fuzz/a", buf, 3000);
	(void)statefs_put(fs, "/state/fuzz/b", buf, 10);
	(void)statefs_delete(fs, "/state/fuzz/b");
	(void)statefs_sync(fs);
	walk(fs, buf);
	(void)statefs_check(fs, NULL);
	(void)statefs_truncate_tail(fs);
	(void)statefs_unmount(fs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t ss = pick_sector_size(data, size);
	if (size == 0 || size > FUZZ_MAX_IMAGE)
		return 0;
	struct blkdev_mem m;
	if (blkdev_mem_init(&m, ss, (size + ss - 1) / ss))
		return 0;
	memcpy(m.data, data, size);
	uint8_t *buf = malloc(STATEFS_VALUE_MAX);
	struct statefs_config cfg = { .bdev = &m.dev, .flags = STATEFS_MOUNT_READ_ONLY };
	struct statefs_replay_report rep;
	struct statefs *fs;
	if (buf && statefs_mount(&fs, &cfg, &rep) == 0) {
		walk(fs, buf);
		(void)statefs_check(fs, NULL);
		(void)statefs_stop_reason_name(rep.stop_reason);
		statefs_abandon(fs);
		writable_pass(&m.dev, buf);
	}
	free(buf);
	blkdev_mem_fini(&m);
	return 0;
}

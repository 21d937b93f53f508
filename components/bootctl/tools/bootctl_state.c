/* bootctl-state: host tool for the boot control records on a state disk image.
 *
 *   bootctl-state show IMAGE               print both records (decoded, checked)
 *   bootctl-state corrupt IMAGE control|confirmed OFFSET
 *                                          flip one bit of that record's byte
 *                                          OFFSET and store it back (a valid
 *                                          statefs update with a damaged bootctl
 *                                          record: what the QEMU damage test uses)
 * Exit codes: 0 ok, 1 a record is missing or damaged (show), 2 usage or I/O. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootctl_core.h"
#include "tool_common.h"

/* usage: print the synopsis; exit status 2. */
static int usage(void)
{
	fprintf(stderr, "usage: bootctl-state show IMAGE\n"
			"       bootctl-state corrupt IMAGE control|confirmed OFFSET\n");
	return TOOL_EXIT_USAGE;
}

/* show_control: print the control record; 0 when valid. */
static int show_control(struct statefs *fs)
{
	uint8_t b[BOOTCTL_CONTROL_SIZE + 1];
	struct bootctl_state st;
	int n = statefs_get(fs, BOOTCTL_KEY_CONTROL, b, sizeof(b));
	const char *why = n < 0 ? cairn_strerror(n) : bootctl_control_decode(b, (size_t)n, &st);
	if (why) {
		printf("control: %s\n", why);
		return 1;
	}
	printf("control: seq=%llu last_good=%s min_release=%llu\n", (unsigned long long)st.seq,
	       bootctl_slot_name(st.last_good), (unsigned long long)st.min_release);
	for (int i = 0; i < BOOTCTL_NSLOTS; i++)
		printf("  slot %s: priority=%u tries=%u successful=%d reason=%s release=%llu\n",
		       bootctl_slot_name((uint8_t)i), st.slot[i].priority, st.slot[i].tries,
		       st.slot[i].successful, bootctl_reason_name(st.slot[i].reason),
		       (unsigned long long)st.slot[i].release);
	return 0;
}

/* show_confirmed: print the confirmed record; 0 when valid. */
static int show_confirmed(struct statefs *fs)
{
	uint8_t b[BOOTCTL_CONFIRMED_SIZE + 1];
	struct bootctl_confirmed c;
	int n = statefs_get(fs, BOOTCTL_KEY_CONFIRMED, b, sizeof(b));
	const char *why = n < 0 ? cairn_strerror(n) : bootctl_confirmed_decode(b, (size_t)n, &c);
	if (why) {
		printf("confirmed: %s\n", why);
		return 1;
	}
	printf("confirmed: seq=%llu last_good=%s good_release=%llu min_release=%llu\n",
	       (unsigned long long)c.seq, bootctl_slot_name(c.last_good),
	       (unsigned long long)c.good_release, (unsigned long long)c.min_release);
	return 0;
}

/* corrupt: flip bit 0 of byte off of key's value and store it back, synced. */
static int corrupt(struct statefs *fs, const char *key, const char *offs)
{
	uint8_t b[BOOTCTL_CONTROL_SIZE];
	char *end;
	unsigned long off = strtoul(offs, &end, 10);
	int n = statefs_get(fs, key, b, sizeof(b));
	if (*offs == '\0' || *end != '\0' || n < 0 || off >= (unsigned long)n) {
		fprintf(stderr, "bootctl-state: %s: %s\n", key,
			n < 0 ? cairn_strerror(n) : "offset outside the record");
		return TOOL_EXIT_USAGE;
	}
	b[off] ^= 1;
	int err = statefs_put(fs, key, b, (size_t)n);
	if (!err)
		err = statefs_sync(fs);
	if (err) {
		fprintf(stderr, "bootctl-state: %s: %s\n", key, cairn_strerror(err));
		return TOOL_EXIT_USAGE;
	}
	printf("%s: byte %lu flipped\n", key, off);
	return 0;
}

/* main: dispatch. */
int main(int argc, char **argv)
{
	struct blkdev_file f;
	struct statefs *fs;
	bool show = argc == 3 && strcmp(argv[1], "show") == 0;
	bool bad = argc == 5 && strcmp(argv[1], "corrupt") == 0 &&
		   (strcmp(argv[3], "control") == 0 || strcmp(argv[3], "confirmed") == 0);
	if (!show && !bad)
		return usage();
	int rc = tool_open("bootctl-state", argv[2], 0, bad, &f);
	if (rc)
		return rc;
	rc = tool_mount("bootctl-state", argv[2], &f, bad, &fs, NULL);
	if (rc) {
		blkdev_file_close(&f);
		return rc;
	}
	if (show)
		rc = show_control(fs) | show_confirmed(fs);
	else
		rc = corrupt(fs,
			     strcmp(argv[3], "control") == 0 ? BOOTCTL_KEY_CONTROL
							     : BOOTCTL_KEY_CONFIRMED,
			     argv[4]);
	int err = statefs_unmount(fs);
	if (blkdev_file_close(&f) != 0 || err)
		rc = TOOL_EXIT_USAGE;
	return rc;
}

/* statefs-fsck: verify a statefs image: superblocks, every record's CRC, index
 * consistency. Reports the first bad record with its offset and reason;
 * --repair truncates a torn tail (and rewrites a bad superblock copy).
 * Exit status: 0 clean, 1 corrupt, 2 usage or I/O error.
 * Usage: statefs-fsck [--repair] [-s SECTOR_SIZE] IMAGE */
#include <stdio.h>
#include <string.h>

#include "tool_common.h"

static const char *const problem_names[] = {
	"clean", "torn tail", "superblock copy invalid", "bad record", "index mismatch",
};

/* usage: print the synopsis and return the usage exit code. */
static int usage(void)
{
	fprintf(stderr, "usage: statefs-fsck [--repair] [-s SECTOR_SIZE] IMAGE\n");
	return TOOL_EXIT_USAGE;
}

/* print_replay: what mount's replay found. */
static void print_replay(const struct statefs_replay_report *r)
{
	printf("superblock: generation %llu, active region %c, region size %llu bytes\n",
	       (unsigned long long)r->generation, r->region ? 'B' : 'A', (unsigned long long)r->region_bytes);
	printf("replay: %llu records, stopped at offset %llu (%s), %llu bytes discarded\n",
	       (unsigned long long)r->records_replayed, (unsigned long long)r->stop_offset,
	       statefs_stop_reason_name(r->stop_reason), (unsigned long long)r->bytes_discarded);
}

/* run_check: check once and print the verdict; returns the exit code. */
static int run_check(struct statefs *fs, const struct statefs_replay_report *rep, bool quiet)
{
	struct statefs_check_report cr;
	int err = statefs_check(fs, &cr);
	if (err && err != CAIRN_EBADMSG) {
		fprintf(stderr, "statefs-fsck: check failed (%s)\n", cairn_strerror(err));
		return TOOL_EXIT_USAGE;
	}
	if (cr.problem == STATEFS_CHECK_OK) {
		printf("clean: %llu keys, %llu records verified\n", (unsigned long long)cr.keys,
		       (unsigned long long)cr.records_checked);
		return TOOL_EXIT_OK;
	}
	if (quiet)
		return TOOL_EXIT_CORRUPT;
	printf("corrupt: %s", problem_names[cr.problem]);
	if (cr.problem == STATEFS_CHECK_TORN_TAIL)
		printf(": first bad record #%llu at offset %llu (%s), %llu bytes discarded; run with --repair",
		       (unsigned long long)rep->bad_record_index, (unsigned long long)cr.bad_offset,
		       statefs_stop_reason_name(cr.stop_reason), (unsigned long long)rep->bytes_discarded);
	else if (cr.problem == STATEFS_CHECK_RECORD)
		printf(": record at offset %llu fails its CRC or key check", (unsigned long long)cr.bad_offset);
	else if (cr.problem == STATEFS_CHECK_SUPER_COPY)
		printf(": valid copies mask 0x%x; run with --repair", cr.super_valid_mask);
	printf("\n");
	return TOOL_EXIT_CORRUPT;
}

/* repair: truncate the tail (also rewrites the stale superblock copy). */
static int repair(struct statefs *fs, const struct statefs_replay_report *rep)
{
	int err = statefs_truncate_tail(fs);
	if (err) {
		fprintf(stderr, "statefs-fsck: repair failed (%s)\n", cairn_strerror(err));
		return TOOL_EXIT_USAGE;
	}
	printf("repaired: journal truncated at offset %llu\n", (unsigned long long)rep->stop_offset);
	return run_check(fs, rep, false);
}

int main(int argc, char **argv)
{
	bool do_repair = false;
	uint32_t ss = 0;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--repair") == 0)
			do_repair = true;
		else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc && (ss = tool_parse_sector_size(argv[i + 1])))
			i++;
		else
			return usage();
	}
	if (argc - i != 1)
		return usage();
	struct blkdev_file f;
	struct statefs *fs;
	struct statefs_replay_report rep;
	int rc = tool_open("statefs-fsck", argv[i], ss, do_repair, &f);
	if (rc)
		return rc;
	rc = tool_mount("statefs-fsck", argv[i], &f, do_repair, &fs, &rep);
	if (rc == 0) {
		print_replay(&rep);
		rc = run_check(fs, &rep, do_repair);
		if (rc == TOOL_EXIT_CORRUPT && do_repair)
			rc = repair(fs, &rep);
		if (statefs_unmount(fs))
			rc = TOOL_EXIT_USAGE;
	}
	blkdev_file_close(&f);
	return rc;
}

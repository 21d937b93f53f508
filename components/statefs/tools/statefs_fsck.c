/* statefs-fsck: verify a statefs image: superblocks, every record's CRC, index
 * consistency, the recovery class. Reports the first bad record with its offset
 * and reason; --repair truncates a torn tail (and rewrites a bad superblock copy)
 * and refuses anything else; a damaged or rolled-back store is changed only by the
 * explicit operator actions --discard-damaged and --roll-forward (docs/statefs.md).
 * Exit status: 0 clean, 1 corrupt, 2 usage or I/O error.
 * Usage: statefs-fsck [--repair | --discard-damaged | --roll-forward] [-s SECTOR_SIZE] IMAGE */
#include <stdio.h>
#include <string.h>

#include "tool_common.h"

static const char *const problem_names[] = {
	"clean",
	"torn tail",
	"superblock copy invalid",
	"bad record",
	"index mismatch",
	"damaged (valid records after the stop; served read-only)",
	"rolled back (a newer superblock was lost; served read-only)",
	"checkpoint damaged (mount fell back; the next checkpoint replaces it)",
};

/* What the operator asked fsck to change. */
enum action {
	CHECK_ONLY,
	REPAIR,
	DISCARD_DAMAGED,
	ROLL_FORWARD
};

/* usage: print the synopsis and return the usage exit code. */
static int usage(void)
{
	fprintf(stderr, "usage: statefs-fsck [--repair | --discard-damaged | --roll-forward] "
			"[-s SECTOR_SIZE] IMAGE\n");
	return TOOL_EXIT_USAGE;
}

/* print_replay: what mount's replay found. */
static void print_replay(const struct statefs_replay_report *r)
{
	printf("superblock: generation %llu, active region %c, region size %llu bytes\n",
	       (unsigned long long)r->generation, r->region ? 'B' : 'A',
	       (unsigned long long)r->region_bytes);
	printf("replay: %llu records, stopped at offset %llu (%s), %llu bytes discarded\n",
	       (unsigned long long)r->records_replayed, (unsigned long long)r->stop_offset,
	       statefs_stop_reason_name(r->stop_reason), (unsigned long long)r->bytes_discarded);
	printf("class: %s", statefs_mount_class_name(r->mount_class));
	if (r->mount_class >= STATEFS_CLASS_DAMAGED)
		printf(" (evidence: region %c offset %llu)", r->evidence_region ? 'B' : 'A',
		       (unsigned long long)r->evidence_offset);
	printf("\n");
	printf("checkpoint: %s", statefs_ckpt_use_name(r->checkpoint));
	if (r->checkpoint == STATEFS_CKPT_NEWEST || r->checkpoint == STATEFS_CKPT_PREVIOUS)
		printf(" at offset %llu (%llu keys)", (unsigned long long)r->checkpoint_offset,
		       (unsigned long long)r->checkpoint_keys);
	if (r->checkpoint_damaged)
		printf("; damaged:%s%s", r->checkpoint_damaged & 1 ? " newest" : "",
		       r->checkpoint_damaged & 2 ? " previous" : "");
	if (r->ckpt_records_skipped)
		printf("; %llu damaged checkpoint records stepped over",
		       (unsigned long long)r->ckpt_records_skipped);
	printf("\n");
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
		printf(": first bad record #%llu at offset %llu (%s), %llu bytes discarded; run "
		       "with --repair",
		       (unsigned long long)rep->bad_record_index, (unsigned long long)cr.bad_offset,
		       statefs_stop_reason_name(cr.stop_reason),
		       (unsigned long long)rep->bytes_discarded);
	else if (cr.problem == STATEFS_CHECK_RECORD)
		printf(": record at offset %llu fails its CRC or key check",
		       (unsigned long long)cr.bad_offset);
	else if (cr.problem == STATEFS_CHECK_SUPER_COPY)
		printf(": valid copies mask 0x%x; run with --repair", cr.super_valid_mask);
	else if (cr.problem == STATEFS_CHECK_DAMAGED)
		printf(": stop at offset %llu (%s); --discard-damaged drops every record after it",
		       (unsigned long long)cr.bad_offset, statefs_stop_reason_name(cr.stop_reason));
	else if (cr.problem == STATEFS_CHECK_ROLLED_BACK)
		printf(": --roll-forward adopts the newer state");
	printf("\n");
	return TOOL_EXIT_CORRUPT;
}

/* repair: truncate a torn tail (also rewrites the stale superblock copy). A
 * damaged or rolled-back store is refused: truncating it would make the loss
 * permanent; only the explicit actions change it. */
static int repair(struct statefs *fs, const struct statefs_replay_report *rep)
{
	if (rep->refused) {
		fprintf(stderr,
			"statefs-fsck: --repair refused: the store is %s; see --discard-damaged / "
			"--roll-forward (docs/statefs.md)\n",
			statefs_mount_class_name(rep->mount_class));
		return TOOL_EXIT_CORRUPT;
	}
	int err = statefs_truncate_tail(fs);
	if (err) {
		fprintf(stderr, "statefs-fsck: repair failed (%s)\n", cairn_strerror(err));
		return TOOL_EXIT_USAGE;
	}
	printf("repaired: journal truncated at offset %llu\n",
	       (unsigned long long)rep->stop_offset);
	return run_check(fs, rep, false);
}

/* operator_action: --discard-damaged or --roll-forward on a store of the matching
 * class; anything else is refused with exit 1. */
static int operator_action(struct statefs *fs, const struct statefs_replay_report *rep,
			   enum action a)
{
	enum statefs_mount_class want = a == DISCARD_DAMAGED ? STATEFS_CLASS_DAMAGED
							     : STATEFS_CLASS_ROLLED_BACK;
	const char *name = a == DISCARD_DAMAGED ? "--discard-damaged" : "--roll-forward";
	if (rep->mount_class != want) {
		fprintf(stderr, "statefs-fsck: %s refused: the store is %s, not %s\n", name,
			statefs_mount_class_name(rep->mount_class), statefs_mount_class_name(want));
		return TOOL_EXIT_CORRUPT;
	}
	int err = a == DISCARD_DAMAGED ? statefs_discard_damaged(fs) : statefs_roll_forward(fs);
	if (err) {
		fprintf(stderr, "statefs-fsck: %s failed (%s)\n", name, cairn_strerror(err));
		return TOOL_EXIT_USAGE;
	}
	printf("%s: done; check again to verify\n", name);
	return TOOL_EXIT_OK;
}

/* parse_args: the options and the image; -1 on a usage error. */
static int parse_args(int argc, char **argv, enum action *a, uint32_t *ss)
{
	int i = 1;
	*a = CHECK_ONLY;
	*ss = 0;
	for (; i < argc && argv[i][0] == '-'; i++) {
		enum action want = strcmp(argv[i], "--repair") == 0	       ? REPAIR
				   : strcmp(argv[i], "--discard-damaged") == 0 ? DISCARD_DAMAGED
				   : strcmp(argv[i], "--roll-forward") == 0    ? ROLL_FORWARD
									       : CHECK_ONLY;
		if (want != CHECK_ONLY && (*a == CHECK_ONLY || *a == want))
			*a = want;
		else if (strcmp(argv[i], "-s") == 0 && i + 1 < argc &&
			 (*ss = tool_parse_sector_size(argv[i + 1])))
			i++;
		else
			return -1;
	}
	return argc - i == 1 ? i : -1;
}

int main(int argc, char **argv)
{
	enum action a;
	uint32_t ss;
	int i = parse_args(argc, argv, &a, &ss);
	if (i < 0)
		return usage();
	bool writable = a != CHECK_ONLY;
	struct blkdev_file f;
	struct statefs *fs;
	struct statefs_replay_report rep;
	int rc = tool_open("statefs-fsck", argv[i], ss, writable, &f);
	if (rc)
		return rc;
	rc = tool_mount("statefs-fsck", argv[i], &f, writable, &fs, &rep);
	if (rc == 0) {
		print_replay(&rep);
		rc = run_check(fs, &rep, a == REPAIR);
		if (rc == TOOL_EXIT_CORRUPT && a == REPAIR)
			rc = repair(fs, &rep);
		else if (rc == TOOL_EXIT_CORRUPT && a != CHECK_ONLY)
			rc = operator_action(fs, &rep, a);
		else if (a == DISCARD_DAMAGED || a == ROLL_FORWARD)
			rc = operator_action(fs, &rep, a);
		if (statefs_unmount(fs))
			rc = TOOL_EXIT_USAGE;
	}
	blkdev_file_close(&f);
	return rc;
}

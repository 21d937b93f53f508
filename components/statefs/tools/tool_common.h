/* Shared helpers of the statefs host tools: opening an image file as a block
 * device (sector size from -s or detected from the superblock) and mounting it. */
#ifndef STATEFS_TOOL_COMMON_H
#define STATEFS_TOOL_COMMON_H

#include <stdbool.h>
#include <stdint.h>

#include "blkdev_host.h"
#include "statefs.h"

#define TOOL_EXIT_OK 0
#define TOOL_EXIT_CORRUPT 1
#define TOOL_EXIT_USAGE 2 /* also I/O errors */

/* tool_parse_sector_size: parse a -s argument; 0 when invalid. */
uint32_t tool_parse_sector_size(const char *s);
/* tool_open: open path as a device; ss 0 = detect from the superblock (default
 * 512). Prints a message and returns a TOOL_EXIT_* code on failure. */
int tool_open(const char *prog, const char *path, uint32_t ss, bool writable,
	      struct blkdev_file *f);
/* tool_mount: mount an opened image; prints a message and returns a TOOL_EXIT_*
 * code on failure. */
int tool_mount(const char *prog, const char *path, struct blkdev_file *f, bool writable,
	       struct statefs **fs, struct statefs_replay_report *rep);
/* tool_mount_interval: tool_mount with statefs_config.ckpt_interval (0 = default). */
int tool_mount_interval(const char *prog, const char *path, struct blkdev_file *f, bool writable,
			uint32_t ckpt_interval, struct statefs **fs,
			struct statefs_replay_report *rep);

#endif

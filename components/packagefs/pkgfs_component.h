/* Private to the packagefs component in the image: the state shared between
 * pkgfs_component.c (mount, interface) and pkgfs_bench.c (the benchmark). */
#ifndef PKGFS_COMPONENT_H
#define PKGFS_COMPONENT_H

#include "cairn/blkdev.h"
#include "packagefs.h"

/* pkgfs_comp_disk: the claimed read-only pkgfs disk, or NULL when serving the
 * fixture. Only while packagefs is up and inside one of its gated calls. */
struct blkdev *pkgfs_comp_disk(void);
/* pkgfs_comp_config: a mount configuration with the built-in public key and
 * cache_pages pages (0 = the component's default). */
struct pkgfs_config pkgfs_comp_config(uint32_t cache_pages);

/* pkgfs_bench_locked: the body of pkgfs_svc_bench (pkgfs_bench.c); runs inside the
 * gated call with the component lock held, as packagefs. */
int pkgfs_bench_locked(void);

#endif

/* statefs superblock: two copies (LBA 0 and 1) with a generation number; the
 * valid copy with the highest generation wins, so a torn superblock write leaves
 * the previous one in force. */
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "statefs_internal.h"

/* sfs_super_encode: serialise sb into SFS_SB_SIZE bytes (layout: docs/statefs.md). */
void sfs_super_encode(const struct sfs_super *sb, uint8_t *buf)
{
	memset(buf, 0, SFS_SB_SIZE);
	memcpy(buf, SFS_SB_MAGIC, 8);
	sfs_put32(buf + 8, SFS_VERSION);
	sfs_put32(buf + 12, sb->sector_size);
	sfs_put64(buf + 16, sb->sector_count);
	sfs_put64(buf + 24, sb->generation);
	sfs_put64(buf + 32, sb->region_lba[0]);
	sfs_put64(buf + 40, sb->region_lba[1]);
	sfs_put64(buf + 48, sb->region_sectors);
	sfs_put32(buf + 56, sb->active);
	sfs_put32(buf + 60, 0);
	sfs_put64(buf + 64, sb->epoch);
	sfs_put64(buf + 72, sb->region_epoch);
	sfs_put64(buf + 80, sb->start_seq);
	sfs_put32(buf + 88, crypto_crc32c(0, buf, 88));
}

/* geometry_ok: the regions lie inside the device, in the fixed layout. */
static bool geometry_ok(const struct sfs_super *sb, uint64_t dev_count)
{
	uint64_t rs = sb->region_sectors;
	if (sb->sector_count > dev_count || rs < STATEFS_MIN_REGION_SECTORS)
		return false;
	if (rs > (UINT64_MAX / sb->sector_size) || rs > (sb->sector_count - SFS_FIRST_REGION_LBA) / 2)
		return false;
	if ((rs * sb->sector_size) / SFS_REC_HDR > UINT32_MAX)
		return false; /* keeps record counts and offsets in comfortable ranges */
	return sb->region_lba[0] == SFS_FIRST_REGION_LBA && sb->region_lba[1] == SFS_FIRST_REGION_LBA + rs;
}

/* sfs_super_decode: parse and validate one copy against the device geometry. */
int sfs_super_decode(struct sfs_super *sb, const uint8_t *buf, uint32_t dev_ss, uint64_t dev_count)
{
	if (memcmp(buf, SFS_SB_MAGIC, 8) != 0)
		return CAIRN_ENOENT;
	if (sfs_get32(buf + 88) != crypto_crc32c(0, buf, 88) || sfs_get32(buf + 8) != SFS_VERSION)
		return CAIRN_EBADMSG;
	sb->sector_size = sfs_get32(buf + 12);
	sb->sector_count = sfs_get64(buf + 16);
	sb->generation = sfs_get64(buf + 24);
	sb->region_lba[0] = sfs_get64(buf + 32);
	sb->region_lba[1] = sfs_get64(buf + 40);
	sb->region_sectors = sfs_get64(buf + 48);
	sb->active = sfs_get32(buf + 56);
	sb->epoch = sfs_get64(buf + 64);
	sb->region_epoch = sfs_get64(buf + 72);
	sb->start_seq = sfs_get64(buf + 80);
	if (sb->sector_size != dev_ss || sb->active > 1 || sfs_get32(buf + 60) != 0)
		return CAIRN_EBADMSG;
	if (sb->region_epoch > sb->epoch || sb->epoch >= UINT64_MAX / 2 || sb->start_seq >= UINT64_MAX / 2)
		return CAIRN_EBADMSG;
	return geometry_ok(sb, dev_count) ? 0 : CAIRN_EBADMSG;
}

/* sfs_super_read: read both copies; the valid one with the highest generation wins.
 * CAIRN_ENOENT when neither has the magic, CAIRN_EBADMSG when none is valid. */
int sfs_super_read(struct blkdev *bd, struct sfs_super *sb, uint32_t *valid_mask)
{
	uint32_t ss = bd->info.sector_size;
	uint8_t *buf = malloc(ss);
	if (!buf)
		return CAIRN_ENOMEM;
	int best = -1, nomagic = 0, err = 0;
	struct sfs_super cand[SFS_SB_COPIES];
	*valid_mask = 0;
	for (unsigned i = 0; i < SFS_SB_COPIES; i++) {
		err = blkdev_read(bd, i, buf, 1);
		if (err)
			break;
		int r = sfs_super_decode(&cand[i], buf, ss, bd->info.sector_count);
		if (r == CAIRN_ENOENT)
			nomagic++;
		if (r != 0)
			continue;
		*valid_mask |= 1u << i;
		if (best < 0 || cand[i].generation > cand[best].generation)
			best = (int)i;
	}
	free(buf);
	if (err)
		return err == CAIRN_ERANGE || err == CAIRN_EINVAL ? CAIRN_ENOENT : CAIRN_EIO;
	if (best < 0)
		return nomagic == SFS_SB_COPIES ? CAIRN_ENOENT : CAIRN_EBADMSG;
	*sb = cand[best];
	return 0;
}

/* sfs_super_write: write sb into copy generation % 2, then flush, so the other
 * copy (the previous generation) stays intact until this one is durable. */
int sfs_super_write(struct blkdev *bd, const struct sfs_super *sb, uint64_t *bytes_written)
{
	uint32_t ss = bd->info.sector_size;
	uint8_t *buf = calloc(1, ss);
	if (!buf)
		return CAIRN_ENOMEM;
	sfs_super_encode(sb, buf);
	int err = blkdev_write(bd, sb->generation % SFS_SB_COPIES, buf, 1);
	free(buf);
	if (bytes_written)
		*bytes_written += ss;
	if (err)
		return err == CAIRN_EROFS ? err : CAIRN_EIO;
	err = blkdev_flush(bd);
	return err ? CAIRN_EIO : 0;
}

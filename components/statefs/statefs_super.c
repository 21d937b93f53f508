/* statefs superblock: two copies (LBA 0 and 1) with a generation number; the
 * valid copy with the highest generation wins, so a torn superblock write leaves
 * the previous one in force. */
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "statefs_internal.h"

/* statefs_super_encode: serialise sb into STATEFS_SB_SIZE bytes (layout: docs/statefs.md). */
void statefs_super_encode(const struct statefs_super *sb, uint8_t *buf)
{
	memset(buf, 0, STATEFS_SB_SIZE);
	memcpy(buf, STATEFS_SB_MAGIC, 8);
	statefs_put32(buf + 8, STATEFS_VERSION);
	statefs_put32(buf + 12, sb->sector_size);
	statefs_put64(buf + 16, sb->sector_count);
	statefs_put64(buf + 24, sb->generation);
	statefs_put64(buf + 32, sb->region_lba[0]);
	statefs_put64(buf + 40, sb->region_lba[1]);
	statefs_put64(buf + 48, sb->region_sectors);
	statefs_put32(buf + 56, sb->active);
	statefs_put32(buf + 60, 0);
	statefs_put64(buf + 64, sb->epoch);
	statefs_put64(buf + 72, sb->region_epoch);
	statefs_put64(buf + 80, sb->start_seq);
	statefs_put64(buf + 88, sb->durable_end);
	for (unsigned i = 0; i < 2; i++) {
		statefs_put64(buf + 96 + 24 * i, sb->ckpt[i].off);
		statefs_put64(buf + 104 + 24 * i, sb->ckpt[i].end);
		statefs_put64(buf + 112 + 24 * i, sb->ckpt[i].next_seq);
	}
	statefs_put32(buf + 144, crypto_crc32c(0, buf, 144));
}

/* ckpt_refs_ok: each named checkpoint lies inside the durable part of the region,
 * the previous one before the newest, and its next_seq is past start_seq. */
static bool ckpt_refs_ok(const struct statefs_super *sb)
{
	const struct statefs_ckpt_ref *c = sb->ckpt;
	for (unsigned i = 0; i < 2; i++) {
		if (c[i].end == 0) {
			if (c[i].off || c[i].next_seq)
				return false;
			continue;
		}
		if (c[i].off >= c[i].end || c[i].end > sb->durable_end ||
		    c[i].next_seq <= sb->start_seq || c[i].next_seq >= UINT64_MAX / 2)
			return false;
	}
	if (c[1].end && (!c[0].end || c[1].end > c[0].off || c[1].next_seq >= c[0].next_seq))
		return false;
	return true;
}

/* geometry_ok: the regions lie inside the device, in the fixed layout. */
static bool geometry_ok(const struct statefs_super *sb, uint64_t dev_count)
{
	uint64_t rs = sb->region_sectors;
	/* sector_count is checked before it is subtracted from (it could be 0 or 1) */
	if (sb->sector_count > dev_count || rs < STATEFS_MIN_REGION_SECTORS ||
	    sb->sector_count < STATEFS_FIRST_REGION_LBA + 2 * (uint64_t)STATEFS_MIN_REGION_SECTORS)
		return false;
	if (rs > (UINT64_MAX / sb->sector_size) ||
	    rs > (sb->sector_count - STATEFS_FIRST_REGION_LBA) / 2)
		return false;
	if ((rs * sb->sector_size) / STATEFS_REC_HDR > UINT32_MAX)
		return false; /* keeps record counts and offsets in comfortable ranges */
	return sb->region_lba[0] == STATEFS_FIRST_REGION_LBA &&
	       sb->region_lba[1] == STATEFS_FIRST_REGION_LBA + rs;
}

/* statefs_super_decode: parse and validate one copy against the device geometry. */
int statefs_super_decode(struct statefs_super *sb, const uint8_t *buf, uint32_t dev_ss,
			 uint64_t dev_count)
{
	if (memcmp(buf, STATEFS_SB_MAGIC, 8) != 0)
		return CAIRN_ENOENT;
	/* version 2 (no checkpoint fields, CRC at 96) is read as a store without
	 * checkpoints; the first superblock write upgrades it to version 3 */
	uint32_t version = statefs_get32(buf + 8);
	size_t crc_at = version == STATEFS_VERSION_V2 ? 96 : 144;
	if ((version != STATEFS_VERSION && version != STATEFS_VERSION_V2) ||
	    statefs_get32(buf + crc_at) != crypto_crc32c(0, buf, crc_at))
		return CAIRN_EBADMSG;
	memset(sb, 0, sizeof(*sb));
	sb->version = version;
	sb->sector_size = statefs_get32(buf + 12);
	sb->sector_count = statefs_get64(buf + 16);
	sb->generation = statefs_get64(buf + 24);
	sb->region_lba[0] = statefs_get64(buf + 32);
	sb->region_lba[1] = statefs_get64(buf + 40);
	sb->region_sectors = statefs_get64(buf + 48);
	sb->active = statefs_get32(buf + 56);
	sb->epoch = statefs_get64(buf + 64);
	sb->region_epoch = statefs_get64(buf + 72);
	sb->start_seq = statefs_get64(buf + 80);
	sb->durable_end = statefs_get64(buf + 88);
	for (unsigned i = 0; i < 2 && version == STATEFS_VERSION; i++) {
		sb->ckpt[i].off = statefs_get64(buf + 96 + 24 * i);
		sb->ckpt[i].end = statefs_get64(buf + 104 + 24 * i);
		sb->ckpt[i].next_seq = statefs_get64(buf + 112 + 24 * i);
	}
	if (sb->sector_size != dev_ss || sb->active > 1 || statefs_get32(buf + 60) != 0)
		return CAIRN_EBADMSG;
	if (sb->region_epoch > sb->epoch || sb->epoch >= UINT64_MAX / 2 ||
	    sb->start_seq >= UINT64_MAX / 2)
		return CAIRN_EBADMSG;
	if (!geometry_ok(sb, dev_count) || sb->durable_end > sb->region_sectors * sb->sector_size ||
	    !ckpt_refs_ok(sb))
		return CAIRN_EBADMSG;
	return 0;
}

/* statefs_super_read: read both copies; the valid one with the highest generation wins.
 * CAIRN_ENOENT when neither has the magic, CAIRN_EBADMSG when none is valid. */
int statefs_super_read(struct blkdev *bd, struct statefs_super *sb, uint32_t *valid_mask)
{
	uint32_t ss = bd->info.sector_size;
	uint8_t *buf = malloc(ss);
	if (!buf)
		return CAIRN_ENOMEM;
	int best = -1, nomagic = 0, err = 0;
	struct statefs_super cand[STATEFS_SB_COPIES];
	*valid_mask = 0;
	for (unsigned i = 0; i < STATEFS_SB_COPIES; i++) {
		err = blkdev_read(bd, i, buf, 1);
		if (err)
			break;
		int r = statefs_super_decode(&cand[i], buf, ss, bd->info.sector_count);
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
		return nomagic == STATEFS_SB_COPIES ? CAIRN_ENOENT : CAIRN_EBADMSG;
	*sb = cand[best];
	return 0;
}

/* statefs_super_write: write sb into copy generation % 2, then flush, so the other
 * copy (the previous generation) stays intact until this one is durable. */
int statefs_super_write(struct blkdev *bd, const struct statefs_super *sb, uint64_t *bytes_written)
{
	uint32_t ss = bd->info.sector_size;
	uint8_t *buf = calloc(1, ss);
	if (!buf)
		return CAIRN_ENOMEM;
	statefs_super_encode(sb, buf);
	int err = blkdev_write(bd, sb->generation % STATEFS_SB_COPIES, buf, 1);
	free(buf);
	if (bytes_written)
		*bytes_written += ss;
	if (err)
		return err == CAIRN_EROFS ? err : CAIRN_EIO;
	err = blkdev_flush(bd);
	return err ? CAIRN_EIO : 0;
}

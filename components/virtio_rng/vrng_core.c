/* virtio-rng request loop (vrng_core.h). */
#include "vrng_core.h"

#include <string.h>

#include "cairn/err.h"

/* fail: mark the source failed for good and say why. */
static int fail(struct vrng *r, int err, const char *why)
{
	r->failed = true;
	r->why = why;
	memset(r->buf, 0, sizeof r->buf);
	return err;
}

/* fill: one exchange of up to want bytes; returns the tested byte count in buf. */
static int fill(struct vrng *r, uint32_t want)
{
	uint32_t used = 0;
	int err = r->xfer->submit(r->xfer->ctx, r->buf, want);

	if (err)
		return fail(r, CAIRN_EIO, "submit failed");
	err = r->xfer->wait(r->xfer->ctx, &used, VRNG_TIMEOUT_US);
	if (err == CAIRN_ETIMEDOUT)
		return fail(r, CAIRN_ETIMEDOUT, "device did not answer (timeout)");
	if (err)
		return fail(r, CAIRN_EIO, "device error");
	if (used > want) { /* the device may not claim more than offered */
		used = want;
		r->clamped++;
	}
	if (used < want)
		r->partial++;
	if (vrng_health_feed(&r->health, r->buf, used) != 0)
		return fail(r, CAIRN_EIO,
			    r->health.failed == VRNG_HEALTH_RCT ? "health test failed: repetition "
								  "count"
								: "health test failed: adaptive "
								  "proportion");
	return (int)used;
}

/* vrng_start: health tests afresh, then the start-up samples. */
int vrng_start(struct vrng *r, const struct vrng_xfer *xfer)
{
	memset(r, 0, sizeof *r);
	r->xfer = xfer;
	vrng_health_init(&r->health);
	unsigned empty = 0;
	while (!vrng_health_ready(&r->health)) {
		int n = fill(r, VRNG_CHUNK);
		if (n < 0)
			return n;
		if (n == 0 && ++empty >= VRNG_MAX_EMPTY)
			return fail(r, CAIRN_EIO, "device returns no data");
		if (n)
			empty = 0;
	}
	memset(r->buf, 0, sizeof r->buf);
	return 0;
}

/* vrng_read: exchanges until len tested bytes were copied out. */
int vrng_read(struct vrng *r, void *out, size_t len)
{
	uint8_t *o = out;
	unsigned empty = 0;

	if (r->failed || !vrng_health_ready(&r->health))
		return CAIRN_EIO;
	while (len) {
		uint32_t want = len < VRNG_CHUNK ? (uint32_t)len : VRNG_CHUNK;
		int n = fill(r, want);
		if (n < 0)
			return n;
		if (n == 0) {
			if (++empty >= VRNG_MAX_EMPTY)
				return fail(r, CAIRN_EIO, "device returns no data");
			continue;
		}
		empty = 0;
		memcpy(o, r->buf, (size_t)n);
		o += n;
		len -= (size_t)n;
		r->bytes += (uint64_t)n;
	}
	memset(r->buf, 0, sizeof r->buf);
	return 0;
}

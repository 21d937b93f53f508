/* SP 800-90B 4.4.1 (Repetition Count) and 4.4.2 (Adaptive Proportion), written
 * from the specification. See vrng_health.h for the cutoffs and their derivation. */
#include "vrng_health.h"

#include <string.h>

#include "cairn/err.h"

/* vrng_health_init: clear both tests' state. */
void vrng_health_init(struct vrng_health *h) { memset(h, 0, sizeof *h); }

/* rct: one sample through the Repetition Count Test; false on failure. */
static bool rct(struct vrng_health *h, uint8_t s)
{
	if (h->rct_run && s == h->rct_value)
		return ++h->rct_run < VRNG_RCT_CUTOFF;
	h->rct_value = s;
	h->rct_run = 1;
	return true;
}

/* apt: one sample through the Adaptive Proportion Test; false on failure. The
 * window's first sample is the reference and counts as its first occurrence. */
static bool apt(struct vrng_health *h, uint8_t s)
{
	if (h->apt_seen == 0) {
		h->apt_value = s;
		h->apt_count = 1;
		h->apt_seen = 1;
		return true;
	}
	if (s == h->apt_value && ++h->apt_count >= VRNG_APT_CUTOFF)
		return false;
	if (++h->apt_seen == VRNG_APT_WINDOW)
		h->apt_seen = 0;
	return true;
}

/* vrng_health_feed: every sample goes through both tests, in order. */
int vrng_health_feed(struct vrng_health *h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n && !h->failed; i++) {
		if (!rct(h, p[i]))
			h->failed = VRNG_HEALTH_RCT;
		else if (!apt(h, p[i]))
			h->failed = VRNG_HEALTH_APT;
		h->samples++;
	}
	return h->failed ? CAIRN_EIO : 0;
}

/* vrng_health_ready: start-up test complete and passed. */
bool vrng_health_ready(const struct vrng_health *h)
{
	return !h->failed && h->samples >= VRNG_STARTUP_SAMPLES;
}

/* vrng_health_reason: the failing test's name, for the driver's message. */
const char *vrng_health_reason(const struct vrng_health *h)
{
	switch (h->failed) {
	case VRNG_HEALTH_RCT:
		return "repetition count";
	case VRNG_HEALTH_APT:
		return "adaptive proportion";
	default:
		return "ok";
	}
}

/* virtio-rng request loop, independent of the transport: hand the device a
 * buffer, wait (bounded) for it to come back, clamp the device's used length to
 * what was offered, run every received byte through the SP 800-90B health tests
 * and only then copy it out. Partial fills are normal (the device may return
 * fewer bytes than asked); an empty fill counts against a bound. Any timeout,
 * transport error, or health-test failure marks the source failed for good: a
 * timed-out buffer may still belong to the device, and a failed noise source
 * must not be used again (SP 800-90B 4.3). vrng_dev.c implements struct
 * vrng_xfer on the kernel core's shared virtio-mmio transport; host tests also
 * implement it with a scripted device. */
#ifndef VRNG_CORE_H
#define VRNG_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vrng_health.h"

#define VRNG_CHUNK 256u		 /* bytes offered per request */
#define VRNG_TIMEOUT_US 1000000u /* per request: 1 s, then the source has failed */
#define VRNG_MAX_EMPTY 16u	 /* consecutive zero-length fills tolerated */

/* One request/response exchange with the device. */
struct vrng_xfer {
	void *ctx;
	/* submit: offer buf (len bytes, device-writable) to the device. 0 or negative. */
	int (*submit)(void *ctx, void *buf, uint32_t len);
	/* wait: wait at most timeout_us for the offered buffer to come back; *used is
	 * the device's used length (untrusted). 0, CAIRN_ETIMEDOUT or CAIRN_EIO. */
	int (*wait)(void *ctx, uint32_t *used, uint64_t timeout_us);
};

/* A noise source. Not locked: the component serialises reads on its mutex. */
struct vrng {
	const struct vrng_xfer *xfer;
	struct vrng_health health;
	bool failed;		 /* sticky */
	const char *why;	 /* fixed text: why it failed */
	uint64_t bytes;		 /* health-tested bytes delivered */
	uint64_t clamped;	 /* used lengths larger than offered */
	uint64_t partial;	 /* fills shorter than offered */
	uint8_t buf[VRNG_CHUNK]; /* the device writes here, never into out */
};

/* vrng_start: reset the health tests and run the start-up test (the first
 * VRNG_STARTUP_SAMPLES bytes are tested and discarded). 0, or the error that
 * failed the source (r->why says which). */
int vrng_start(struct vrng *r, const struct vrng_xfer *xfer);
/* vrng_read: len health-tested bytes into out. 0; CAIRN_EIO the source failed
 * now or earlier (nothing usable was written); CAIRN_ETIMEDOUT the device did
 * not answer in time (the source is failed from then on). */
int vrng_read(struct vrng *r, void *out, size_t len);

#endif

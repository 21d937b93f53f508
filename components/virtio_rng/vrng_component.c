/* The virtio_rng component in the image, on the kernel core's shared
 * virtio-mmio transport (cairn/virtio_mmio.h, driver part in vrng_dev.c).
 *
 * Probes the DTB's virtio-mmio slots for an entropy device (ID 4; other devices
 * are identified read-only and left alone), brings up the first one that passes
 * the start-up health test, and serves vrng_svc_read. Locking: vr.lock (a mutex)
 * serialises every read; the device state is written only by init. */
#include <string.h>

#include "cairn/cap.h"
#include "cairn/cap_gate.h"
#include "cairn/component.h"
#include "cairn/console.h"
#include "cairn/err.h"
#include "cairn/sync.h"
#include "cairn/virtio_mmio.h"
#include "virtio_rng.h"
#include "vrng_dev.h"

static struct {
	struct mutex lock;	 /* serialises reads (mutex_lock_live) */
	bool up;		 /* Immutable after init */
	bool reported;		 /* Protected by lock: the failure was printed */
	struct virtio_mmio mmio; /* Protected by lock: the transport's ctx for the slot */
	struct vrng_dev dev;
	struct vrng rng;
	uint8_t tmp[VRNG_SVC_MAX];
} vr;

/* vr_init: the first entropy device that comes up and passes the start-up test.
 * No device is not an error (the component is up without a source: callers get
 * ENODEV); a device that fails is reported and never used. */
static int vr_init(void)
{
	mutex_init(&vr.lock, "virtio_rng");
	for (unsigned i = 0; i < virtio_mmio_slots() && !vr.up; i++) {
		/* A slot that failed keeps its (never freed) DMA memory; the
		 * structs are reused for the next slot, nothing is released. */
		memset(&vr.rng, 0, sizeof vr.rng); /* no stale reason from an earlier slot */
		virtio_mmio_init(&vr.mmio, i, "virtio_rng");
		int err = vrng_dev_probe(&vr.dev, &virtio_mmio_ops, &vr.mmio, vr.mmio.base,
					 vr.mmio.irq);
		if (err == CAIRN_ENODEV)
			continue;
		if (!err)
			err = vrng_start(&vr.rng, &vr.dev.xfer);
		if (err) {
			kprintf("rng: virtio-rng mmio=0x%lx failed, not used: %s (%s)\n",
				(unsigned long)vr.mmio.base,
				vr.rng.why ? vr.rng.why : "bring-up refused", cairn_strerror(err));
			continue;
		}
		vr.up = true;
		kprintf("rng: virtio-rng up mmio=0x%lx version=%u health=sp800-90b\n",
			(unsigned long)vr.mmio.base, vr.dev.v.version);
	}
	if (!vr.up)
		kprintf("rng: no usable virtio-rng device\n");
	return 0;
}

/* vrng_svc_read: gate, bounded length, read under the lock, copy out. */
int vrng_svc_read(void *buf, size_t len)
{
	struct cap_call call;
	int err = cap_enter(&call, CAP_COMP_VIRTIO_RNG, "read");

	if (err)
		return err;
	if (len > VRNG_SVC_MAX) {
		cap_leave(&call);
		return CAIRN_E2BIG;
	}
	err = mutex_lock_live(&vr.lock);
	if (err) {
		cap_leave(&call);
		return err;
	}
	err = vr.up ? vrng_read(&vr.rng, vr.tmp, len) : CAIRN_ENODEV;
	if (!err)
		err = cap_copy_out(&call, buf, vr.tmp, len);
	memset(vr.tmp, 0, len);
	bool report = vr.up && vr.rng.failed && !vr.reported;
	vr.reported |= report;
	mutex_unlock(&vr.lock);
	if (report)
		kprintf("rng: virtio-rng failed, not used again: %s\n", vr.rng.why);
	cap_leave(&call);
	return err;
}

/* Queues stay live in the device, so no restart (as virtio_blk). */
const struct component_desc component_virtio_rng = {
	.name = "virtio_rng",
	.init = vr_init,
	.no_restart = true,
};

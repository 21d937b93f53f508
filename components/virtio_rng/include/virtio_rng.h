/* virtio_rng: health-tested raw entropy from a virtio entropy device (QEMU
 * `-device virtio-rng-device`, virtio device ID 4). The public interface of the
 * image component; callers must be granted virtio_rng (keystore is). Every byte
 * returned passed the SP 800-90B continuous health tests after the start-up
 * test; a source that failed any of them, timed out or misbehaved is never used
 * again. See docs/keystore.md ("Entropy"). */
#ifndef VIRTIO_RNG_H
#define VIRTIO_RNG_H

#include <stddef.h>

#define VRNG_SVC_MAX 4096u /* bytes per call */

/* vrng_svc_read: len (<= VRNG_SVC_MAX) health-tested bytes into buf. 0;
 * CAIRN_ENODEV no entropy device (or it failed at start-up); CAIRN_EIO the
 * source failed (health test, device error); CAIRN_ETIMEDOUT it stopped
 * answering; CAIRN_E2BIG len too large; CAIRN_EPERM not granted (audited);
 * CAIRN_EFAULT bad buf (audited). Nothing usable is written on error. */
int vrng_svc_read(void *buf, size_t len);

#endif

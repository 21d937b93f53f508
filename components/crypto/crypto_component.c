/* The crypto component in the image: picks the CRC32-C implementation at
 * init. Zbc (carry-less multiply) only when every hart's ISA string lists it:
 * threads migrate between harts. The algorithms themselves keep no state, so
 * there is nothing to stop and a restart simply chooses again. */
#include "cairn/boot.h"
#include "cairn/component.h"
#include "cairn/console.h"
#include "crypto.h"

/* crypto_component_init: select the CRC32-C implementation and say which. */
static int crypto_component_init(void)
{
	bool zbc = platform.nharts > 0;
	for (unsigned i = 0; i < platform.nharts; i++)
		zbc = zbc && platform.harts[i].has_zbc;
	crypto_crc32c_use_zbc(zbc);
	kprintf("crypto: crc32c %s\n", crypto_crc32c_zbc_active() ? "zbc (clmul)" : "table");
	return 0;
}

const struct component_desc component_crypto = {
	.name = "crypto",
	.init = crypto_component_init,
};

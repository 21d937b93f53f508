/* mkdevsecret: write a device root secret disk image (the devsecret format of
 * docs/keystore.md: sector 0 holds magic, version, 32 secret bytes from the
 * host's getrandom(), CRC32-C; 4096 bytes in all) to FILE, which must not exist.
 * The file is created mode 0600 and the secret is never printed.
 * Exit status: 0 written, 2 usage or I/O error (nothing left behind).
 * Usage: mkdevsecret FILE */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "crypto.h"
#include "ks_format.h"

/* fill_random: n bytes from the kernel's CSPRNG, retrying short reads. */
static int fill_random(uint8_t *p, size_t n)
{
	while (n) {
		ssize_t r = getrandom(p, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/* write_all: the whole buffer or -1. */
static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static uint8_t image[KS_DEVSECRET_IMAGE];
	uint8_t secret[KS_DEVSECRET_SECRET];

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: mkdevsecret FILE\n");
		return 2;
	}
	if (fill_random(secret, sizeof secret) != 0) {
		fprintf(stderr, "mkdevsecret: getrandom: %s\n", strerror(errno));
		return 2;
	}
	ks_devsecret_build(image, secret);
	crypto_wipe(secret, sizeof secret);
	int fd = open(argv[1], O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		fprintf(stderr, "mkdevsecret: %s: %s\n", argv[1], strerror(errno));
		crypto_wipe(image, sizeof image);
		return 2;
	}
	int err = write_all(fd, image, sizeof image);
	if (!err)
		err = fsync(fd);
	crypto_wipe(image, sizeof image);
	if (close(fd) != 0)
		err = -1;
	if (err) {
		fprintf(stderr, "mkdevsecret: %s: write failed: %s\n", argv[1], strerror(errno));
		(void)unlink(argv[1]);
		return 2;
	}
	fprintf(stderr, "mkdevsecret: wrote %s (%u bytes)\n", argv[1], KS_DEVSECRET_IMAGE);
	return 0;
}

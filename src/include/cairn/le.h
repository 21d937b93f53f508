/* Little-endian codecs for on-disk formats (statefs, packagefs, ...): byte-wise,
 * so alignment never matters and the format is LE whatever the host. Header
 * only; builds for the image and the host. */
#ifndef CAIRN_LE_H
#define CAIRN_LE_H

#include <stdint.h>

/* le_get16/32/64: the little-endian value at p. */
static inline uint16_t le_get16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

static inline uint32_t le_get32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

static inline uint64_t le_get64(const uint8_t *p)
{
	return (uint64_t)le_get32(p) | ((uint64_t)le_get32(p + 4) << 32);
}

/* le_put16/32/64: store v at p, little-endian. */
static inline void le_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void le_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void le_put64(uint8_t *p, uint64_t v)
{
	le_put32(p, (uint32_t)v);
	le_put32(p + 4, (uint32_t)(v >> 32));
}

#endif

#pragma once

/*
 * Integers in byte buffers in a given byte order, at any alignment: on-disk and on-wire
 * structures (GPT, SMBIOS, EFI variables, qcow2, NTP). The caller has checked the bounds.
 */

#include <stddef.h>
#include <stdint.h>

static inline uint16_t unaligned_read_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t unaligned_read_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t unaligned_read_le64(const uint8_t *p)
{
	return (uint64_t)unaligned_read_le32(p) | (uint64_t)unaligned_read_le32(p + 4) << 32;
}

static inline uint16_t unaligned_read_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t unaligned_read_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

static inline uint64_t unaligned_read_be64(const uint8_t *p)
{
	return (uint64_t)unaligned_read_be32(p) << 32 | (uint64_t)unaligned_read_be32(p + 4);
}

static inline void unaligned_write_be64(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

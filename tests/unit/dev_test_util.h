/* Helpers for the legacy-device unit tests: an irq_sink that records line
 * levels and rising edges, and byte-wide port accessors. Header-only so
 * each test executable stays one file. */
#ifndef VMDECK_TEST_DEV_UTIL_H
#define VMDECK_TEST_DEV_UTIL_H

#include <stdint.h>
#include <string.h>

#include "bus.h"
#include "irq.h"

#define REC_GSIS 24

struct irq_rec {
	int level[REC_GSIS];
	unsigned rises[REC_GSIS]; /* 0->1 transitions: interrupts on an edge line */
	unsigned calls;
};

static void irq_rec_set(void *opaque, unsigned gsi, int level)
{
	struct irq_rec *r = opaque;

	r->calls++;
	if (gsi >= REC_GSIS)
		return;
	if (level && !r->level[gsi])
		r->rises[gsi]++;
	r->level[gsi] = level;
}

static inline struct irq_sink irq_rec_sink(struct irq_rec *r)
{
	memset(r, 0, sizeof(*r));
	return (struct irq_sink){ .set_level = irq_rec_set, .opaque = r };
}

static inline uint8_t dev_in8(const struct bus_ops *ops, void *dev, uint64_t off)
{
	uint8_t v = 0;
	ops->read(dev, off, &v, 1);
	return v;
}

static inline void dev_out8(const struct bus_ops *ops, void *dev, uint64_t off, uint8_t v)
{
	ops->write(dev, off, &v, 1);
}

static inline void dev_out32(const struct bus_ops *ops, void *dev, uint64_t off, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	ops->write(dev, off, b, 4);
}

#endif

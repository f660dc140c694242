/* Counted no-op legacy ports; see legacy.h. */
#include <errno.h>
#include <string.h>

#include "dev/legacy.h"

#define PORT_B       0x61
#define PORT_POST    0x80
#define PORT_A20     0x92
#define PORT_DELAY   0xED

#define PORTB_WRITABLE 0x0f
#define PORTB_GATE2    0x01
#define PORTB_REFRESH  0x10
#define PORTB_OUT2     0x20
#define A20_ENABLED    0x02

static const struct {
	uint16_t base, len;
	const char *name;
} legacy_map[LEGACY_NRANGES] = {
	{ 0x00, 0x20, "dma1" },
	{ PORT_B, 1, "portb" },
	{ PORT_POST, 1, "post" },
	{ 0x81, 0x0f, "dma-page" },
	{ PORT_A20, 1, "a20" },
	{ 0xC0, 0x20, "dma2" },
	{ PORT_DELAY, 1, "delay" },
};

static uint8_t legacy_read_port(struct legacy *l, uint16_t port)
{
	uint8_t v;

	switch (port) {
	case PORT_B:
		l->refresh = !l->refresh;
		v = l->portb | (l->refresh ? PORTB_REFRESH : 0);
		if (l->portb & PORTB_GATE2)
			v |= PORTB_OUT2;
		return v;
	case PORT_A20:
		return A20_ENABLED;
	case PORT_POST:
	case PORT_DELAY:
		return 0xff; /* nothing drives the bus */
	}
	return 0; /* idle DMA controller and page registers */
}

static void legacy_write_port(struct legacy *l, uint16_t port, uint8_t v)
{
	if (port == PORT_B)
		l->portb = v & PORTB_WRITABLE;
	else if (port == PORT_POST)
		l->post = v;
}

static void legacy_access(void *dev, uint64_t offset, uint8_t *data, unsigned size, bool is_write)
{
	struct legacy_range *r = dev;
	struct legacy *l = r->owner;

	pthread_mutex_lock(&l->lock);
	for (unsigned i = 0; i < size; i++) {
		uint64_t off = offset + i;
		struct legacy_port_count *c;

		if (off >= r->len) { /* the bus never does this; be safe */
			if (!is_write)
				data[i] = 0xff;
			continue;
		}
		c = &l->counts[r->slot + off];
		if (is_write) {
			c->writes++;
			legacy_write_port(l, c->port, data[i]);
		} else {
			c->reads++;
			data[i] = legacy_read_port(l, c->port);
		}
	}
	pthread_mutex_unlock(&l->lock);
}

static void legacy_read(void *dev, uint64_t offset, void *data, unsigned size)
{
	legacy_access(dev, offset, data, size, false);
}

static void legacy_write(void *dev, uint64_t offset, const void *data, unsigned size)
{
	uint8_t copy[8];

	if (size > sizeof(copy))
		size = sizeof(copy);
	memcpy(copy, data, size);
	legacy_access(dev, offset, copy, size, true);
}

const struct bus_ops legacy_ops = { .read = legacy_read, .write = legacy_write };

int legacy_init(struct legacy *l)
{
	unsigned slot = 0;
	int err;

	memset(l, 0, sizeof(*l));
	err = pthread_mutex_init(&l->lock, NULL);
	if (err)
		return -err;
	for (unsigned i = 0; i < LEGACY_NRANGES; i++) {
		struct legacy_range *r = &l->ranges[i];

		r->owner = l;
		r->base = legacy_map[i].base;
		r->len = legacy_map[i].len;
		r->name = legacy_map[i].name;
		r->slot = slot;
		for (unsigned p = 0; p < r->len; p++)
			l->counts[slot + p].port = (uint16_t)(r->base + p);
		slot += r->len;
	}
	_Static_assert(LEGACY_NPORTS == 0x20 + 1 + 1 + 0x0f + 1 + 0x20 + 1, "port count");
	return 0;
}

void legacy_destroy(struct legacy *l)
{
	pthread_mutex_destroy(&l->lock);
}

int legacy_register(struct legacy *l, struct bus *pio)
{
	for (unsigned i = 0; i < LEGACY_NRANGES; i++) {
		struct legacy_range *r = &l->ranges[i];
		int err = bus_register(pio, r->base, r->len, &legacy_ops, r, r->name);

		if (err) {
			legacy_unregister(l, pio);
			return err;
		}
		r->registered = true;
	}
	return 0;
}

void legacy_unregister(struct legacy *l, struct bus *pio)
{
	for (unsigned i = 0; i < LEGACY_NRANGES; i++) {
		if (l->ranges[i].registered) {
			bus_unregister(pio, l->ranges[i].base);
			l->ranges[i].registered = false;
		}
	}
}

bool legacy_port_count(struct legacy *l, uint16_t port, uint64_t *reads, uint64_t *writes)
{
	bool found = false;

	pthread_mutex_lock(&l->lock);
	for (unsigned i = 0; i < LEGACY_NPORTS; i++) {
		if (l->counts[i].port == port) {
			if (reads)
				*reads = l->counts[i].reads;
			if (writes)
				*writes = l->counts[i].writes;
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&l->lock);
	return found;
}

size_t legacy_counts(struct legacy *l, struct legacy_port_count *out, size_t max)
{
	size_t n = 0;

	pthread_mutex_lock(&l->lock);
	for (unsigned i = 0; i < LEGACY_NPORTS && n < max; i++)
		if (l->counts[i].reads || l->counts[i].writes)
			out[n++] = l->counts[i];
	pthread_mutex_unlock(&l->lock);
	return n;
}

uint8_t legacy_post_code(struct legacy *l)
{
	uint8_t v;

	pthread_mutex_lock(&l->lock);
	v = l->post;
	pthread_mutex_unlock(&l->lock);
	return v;
}

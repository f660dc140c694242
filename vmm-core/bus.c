/* PIO/MMIO bus: sorted, overlap-checked ranges; see bus.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"

int bus_init(struct bus *bus, const char *kind)
{
	memset(bus, 0, sizeof(*bus));
	bus->kind = kind;
	if (pthread_rwlock_init(&bus->lock, NULL))
		return -ENOMEM;
	if (pthread_mutex_init(&bus->unclaimed_lock, NULL)) {
		pthread_rwlock_destroy(&bus->lock);
		return -ENOMEM;
	}
	return 0;
}

void bus_destroy(struct bus *bus)
{
	free(bus->ranges);
	bus->ranges = NULL;
	bus->n = bus->cap = 0;
	pthread_rwlock_destroy(&bus->lock);
	pthread_mutex_destroy(&bus->unclaimed_lock);
}

/* Index of the first range whose base is > addr (binary search). */
static size_t bus_upper(const struct bus *bus, uint64_t addr)
{
	size_t lo = 0, hi = bus->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (bus->ranges[mid].base <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct bus_range *bus_find(const struct bus *bus, uint64_t addr, unsigned size)
{
	size_t i = bus_upper(bus, addr);
	const struct bus_range *r;

	if (i == 0)
		return NULL;
	r = &bus->ranges[i - 1];
	/* addr >= r->base here; the access must lie wholly inside the range. */
	if (addr - r->base >= r->len || size > r->len - (addr - r->base))
		return NULL;
	return r;
}

int bus_register(struct bus *bus, uint64_t base, uint64_t len,
		 const struct bus_ops *ops, void *dev, const char *name)
{
	size_t i;
	int ret = 0;

	if (len == 0 || base + len < base || !ops)
		return -EINVAL;
	pthread_rwlock_wrlock(&bus->lock);
	i = bus_upper(bus, base);
	/* Overlap with the range before (it starts at or below base) ... */
	if (i > 0 && base - bus->ranges[i - 1].base < bus->ranges[i - 1].len) {
		ret = -EEXIST;
		goto out;
	}
	/* ... or with the next one (it starts above base). */
	if (i < bus->n && bus->ranges[i].base - base < len) {
		ret = -EEXIST;
		goto out;
	}
	if (bus->n == bus->cap) {
		size_t ncap = bus->cap ? bus->cap * 2 : 16;
		struct bus_range *nr = realloc(bus->ranges, ncap * sizeof(*nr));
		if (!nr) {
			ret = -ENOMEM;
			goto out;
		}
		bus->ranges = nr;
		bus->cap = ncap;
	}
	memmove(&bus->ranges[i + 1], &bus->ranges[i], (bus->n - i) * sizeof(*bus->ranges));
	bus->ranges[i] = (struct bus_range){ .base = base, .len = len, .ops = ops, .dev = dev };
	snprintf(bus->ranges[i].name, sizeof(bus->ranges[i].name), "%s", name ? name : "?");
	bus->n++;
out:
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

int bus_unregister(struct bus *bus, uint64_t base)
{
	int ret = -ENOENT;

	pthread_rwlock_wrlock(&bus->lock);
	for (size_t i = 0; i < bus->n; i++) {
		if (bus->ranges[i].base == base) {
			memmove(&bus->ranges[i], &bus->ranges[i + 1],
				(bus->n - i - 1) * sizeof(*bus->ranges));
			bus->n--;
			ret = 0;
			break;
		}
	}
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

static void bus_count_unclaimed(struct bus *bus, uint64_t addr, bool is_write)
{
	size_t i;

	pthread_mutex_lock(&bus->unclaimed_lock);
	for (i = 0; i < bus->n_unclaimed; i++)
		if (bus->unclaimed[i].addr == addr)
			break;
	if (i == bus->n_unclaimed) {
		if (i == BUS_UNCLAIMED_SLOTS) {
			bus->unclaimed_other++;
			goto out;
		}
		bus->unclaimed[i] = (struct bus_unclaimed){ .addr = addr };
		bus->n_unclaimed++;
	}
	if (is_write)
		bus->unclaimed[i].writes++;
	else
		bus->unclaimed[i].reads++;
out:
	pthread_mutex_unlock(&bus->unclaimed_lock);
}

bool bus_access(struct bus *bus, uint64_t addr, void *data, unsigned size, bool is_write)
{
	const struct bus_range *r;
	const struct bus_ops *ops = NULL;
	void *dev = NULL;
	uint64_t off = 0;

	pthread_rwlock_rdlock(&bus->lock);
	r = bus_find(bus, addr, size ? size : 1);
	if (r) {
		ops = r->ops;
		dev = r->dev;
		off = addr - r->base;
	}
	pthread_rwlock_unlock(&bus->lock);

	if (!ops) {
		bus_count_unclaimed(bus, addr, is_write);
		if (!is_write)
			memset(data, 0xff, size);
		return false;
	}
	if (is_write) {
		if (ops->write)
			ops->write(dev, off, data, size);
	} else {
		if (ops->read)
			ops->read(dev, off, data, size);
		else
			memset(data, 0xff, size);
	}
	return true;
}

size_t bus_unclaimed_snapshot(struct bus *bus, struct bus_unclaimed *out, size_t max,
			      uint64_t *other)
{
	size_t n;

	pthread_mutex_lock(&bus->unclaimed_lock);
	n = bus->n_unclaimed < max ? bus->n_unclaimed : max;
	memcpy(out, bus->unclaimed, n * sizeof(*out));
	if (other)
		*other = bus->unclaimed_other;
	pthread_mutex_unlock(&bus->unclaimed_lock);
	return n;
}

const char *bus_name_at(struct bus *bus, uint64_t addr, char *buf, size_t buflen)
{
	const struct bus_range *r;
	const char *ret = NULL;

	pthread_rwlock_rdlock(&bus->lock);
	r = bus_find(bus, addr, 1);
	if (r) {
		snprintf(buf, buflen, "%s", r->name);
		ret = buf;
	}
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

/* One bus for port I/O and one for MMIO (DESIGN.md "VMM core").
 *
 * Devices register a [base, base+len) range with an ops table and an opaque
 * pointer; handlers receive the offset inside their range, never the absolute
 * address (Firecracker's vstate/bus.rs does the same). Registration rejects
 * zero-length, overflowing and overlapping ranges. Accesses nobody claims are
 * counted per address and ignored: reads return all ones. */
#ifndef VMDECK_BUS_H
#define VMDECK_BUS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bus_ops {
	/* size is 1, 2, 4 or 8; data is little-endian, exactly size bytes. */
	void (*read)(void *dev, uint64_t offset, void *data, unsigned size);
	void (*write)(void *dev, uint64_t offset, const void *data, unsigned size);
};

struct bus_range {
	uint64_t base, len;
	const struct bus_ops *ops;
	void *dev;
	char name[24];
};

#define BUS_UNCLAIMED_SLOTS 64

struct bus_unclaimed {
	uint64_t addr;
	uint64_t reads, writes;
};

struct bus {
	const char *kind; /* "pio" or "mmio", for messages */
	pthread_rwlock_t lock;
	struct bus_range *ranges; /* sorted by base */
	size_t n, cap;
	/* Unclaimed-access accounting: a small table of distinct addresses plus
	 * an overflow counter, so a guest probing every port cannot grow it. */
	pthread_mutex_t unclaimed_lock;
	struct bus_unclaimed unclaimed[BUS_UNCLAIMED_SLOTS];
	size_t n_unclaimed;
	uint64_t unclaimed_other;
};

int bus_init(struct bus *bus, const char *kind);
void bus_destroy(struct bus *bus);
/* Returns 0, -EINVAL (zero length, overflow), -EEXIST (overlap) or -ENOMEM. */
int bus_register(struct bus *bus, uint64_t base, uint64_t len,
		 const struct bus_ops *ops, void *dev, const char *name);
int bus_unregister(struct bus *bus, uint64_t base);
/* Dispatches one access. Returns true if a device claimed it. An access that
 * straddles the end of a range is treated as unclaimed. Unclaimed reads fill
 * data with 0xff. */
bool bus_access(struct bus *bus, uint64_t addr, void *data, unsigned size, bool is_write);
/* Copies the unclaimed table (up to max entries); returns how many. */
size_t bus_unclaimed_snapshot(struct bus *bus, struct bus_unclaimed *out, size_t max,
			      uint64_t *other);
/* Name of the range containing addr, or NULL (for stats labels). */
const char *bus_name_at(struct bus *bus, uint64_t addr, char *buf, size_t buflen);

#endif

/* PIO/MMIO bus (vmm-core/bus.c): range checks, dispatch with offsets,
 * straddling accesses, unclaimed accounting, unregister. */
#include <errno.h>

#include <criterion/criterion.h>

#include "bus.h"

struct rec_dev {
	uint64_t last_off;
	unsigned last_size;
	unsigned reads, writes;
	uint8_t last_write[8];
};

static void rec_read(void *dev, uint64_t off, void *data, unsigned size)
{
	struct rec_dev *d = dev;

	d->reads++;
	d->last_off = off;
	d->last_size = size;
	memset(data, 0xA5, size);
}

static void rec_write(void *dev, uint64_t off, const void *data, unsigned size)
{
	struct rec_dev *d = dev;

	d->writes++;
	d->last_off = off;
	d->last_size = size;
	memcpy(d->last_write, data, size);
}

static const struct bus_ops rec_ops = { rec_read, rec_write };
static const struct bus_ops write_only_ops = { NULL, rec_write };

static struct bus bus;

static void setup(void)
{
	cr_assert_eq(bus_init(&bus, "test"), 0);
}

static void teardown(void)
{
	bus_destroy(&bus);
}

TestSuite(bus, .init = setup, .fini = teardown);

Test(bus, rejects_bad_ranges)
{
	struct rec_dev d = { 0 };

	cr_assert_eq(bus_register(&bus, 0x100, 0, &rec_ops, &d, "zero"), -EINVAL);
	cr_assert_eq(bus_register(&bus, UINT64_MAX, 2, &rec_ops, &d, "wrap"), -EINVAL);
	cr_assert_eq(bus_register(&bus, 1, UINT64_MAX, &rec_ops, &d, "wrap"), -EINVAL);
	/* A range ending exactly at 2^64 is refused too (its end is not
	 * representable); one byte shorter is fine. */
	cr_assert_eq(bus_register(&bus, UINT64_MAX - 0xF, 0x10, &rec_ops, &d, "top"), -EINVAL);
	cr_assert_eq(bus_register(&bus, UINT64_MAX - 0xF, 0xF, &rec_ops, &d, "top"), 0);
	cr_assert_eq(bus_register(&bus, 0x200, 1, NULL, &d, "noops"), -EINVAL);
	cr_assert_eq(bus.n, 1);
}

Test(bus, overlap_and_adjacent)
{
	struct rec_dev d = { 0 };

	cr_assert_eq(bus_register(&bus, 0x10, 0x10, &rec_ops, &d, "a"), 0);
	cr_assert_eq(bus_register(&bus, 0x20, 0x10, &rec_ops, &d, "b"), 0, "adjacent above");
	cr_assert_eq(bus_register(&bus, 0x00, 0x10, &rec_ops, &d, "c"), 0, "adjacent below");
	cr_assert_eq(bus_register(&bus, 0x1F, 2, &rec_ops, &d, "x"), -EEXIST, "straddles a|b");
	cr_assert_eq(bus_register(&bus, 0x18, 1, &rec_ops, &d, "x"), -EEXIST, "inside a");
	cr_assert_eq(bus_register(&bus, 0x00, 0x100, &rec_ops, &d, "x"), -EEXIST, "covers all");
	cr_assert_eq(bus_register(&bus, 0x10, 0x10, &rec_ops, &d, "x"), -EEXIST, "same");
	cr_assert_eq(bus_register(&bus, 0x2F, 1, &rec_ops, &d, "x"), -EEXIST, "last byte of b");
	cr_assert_eq(bus_register(&bus, 0x30, 1, &rec_ops, &d, "d"), 0);
	cr_assert_eq(bus.n, 4);
	for (size_t i = 1; i < bus.n; i++)
		cr_assert_lt(bus.ranges[i - 1].base, bus.ranges[i].base, "sorted");
}

Test(bus, dispatch_with_offsets)
{
	struct rec_dev a = { 0 }, b = { 0 };
	uint8_t v[4] = { 1, 2, 3, 4 };
	char name[32];

	bus_register(&bus, 0x3F8, 8, &rec_ops, &a, "com1");
	bus_register(&bus, 0x400, 4, &rec_ops, &b, "other");
	cr_assert(bus_access(&bus, 0x3FD, v, 1, false));
	cr_assert_eq(a.last_off, 5);
	cr_assert_eq(v[0], 0xA5);
	cr_assert(bus_access(&bus, 0x400, v, 4, true));
	cr_assert_eq(b.last_off, 0);
	cr_assert_eq(b.last_size, 4);
	cr_assert_eq(a.writes, 0);
	cr_assert(bus_access(&bus, 0x3F8, v, 4, true));
	cr_assert_eq(a.last_off, 0);
	cr_assert_str_eq(bus_name_at(&bus, 0x3FF, name, sizeof(name)), "com1");
	cr_assert_null(bus_name_at(&bus, 0x3F7, name, sizeof(name)));
}

Test(bus, straddling_access_is_unclaimed)
{
	struct rec_dev d = { 0 };
	uint8_t v[4] = { 0 };
	struct bus_unclaimed u[4];

	bus_register(&bus, 0x100, 8, &rec_ops, &d, "dev");
	cr_assert_not(bus_access(&bus, 0x106, v, 4, false));
	cr_assert_eq(d.reads, 0);
	cr_assert_eq(v[0] & v[1] & v[2] & v[3], 0xff, "unclaimed reads are all ones");
	cr_assert(bus_access(&bus, 0x104, v, 4, false), "fits exactly");
	cr_assert_not(bus_access(&bus, 0xFF, v, 2, true), "starts before the range");
	cr_assert_eq(d.writes, 0);
	cr_assert_eq(bus_unclaimed_snapshot(&bus, u, 4, NULL), 2);
}

Test(bus, write_only_device_reads_ones)
{
	struct rec_dev d = { 0 };
	uint8_t v = 0;

	bus_register(&bus, 0xF4, 4, &write_only_ops, &d, "exit");
	cr_assert(bus_access(&bus, 0xF4, &v, 1, false));
	cr_assert_eq(v, 0xff);
}

Test(bus, unclaimed_counting_and_overflow)
{
	struct bus_unclaimed u[BUS_UNCLAIMED_SLOTS];
	uint64_t other = 99;
	uint8_t v = 0;
	size_t n;

	for (int i = 0; i < 3; i++)
		bus_access(&bus, 0x2F8, &v, 1, false);
	bus_access(&bus, 0x2F8, &v, 1, true);
	for (uint64_t a = 0x1000; a < 0x1000 + BUS_UNCLAIMED_SLOTS + 10; a++)
		bus_access(&bus, a, &v, 1, true);
	n = bus_unclaimed_snapshot(&bus, u, BUS_UNCLAIMED_SLOTS, &other);
	cr_assert_eq(n, BUS_UNCLAIMED_SLOTS, "the table never grows");
	cr_assert_eq(u[0].addr, 0x2F8);
	cr_assert_eq(u[0].reads, 3);
	cr_assert_eq(u[0].writes, 1);
	cr_assert_eq(other, 11, "the rest is counted together");
	/* A known address keeps counting in its slot after the table filled. */
	bus_access(&bus, 0x2F8, &v, 1, false);
	bus_unclaimed_snapshot(&bus, u, 1, &other);
	cr_assert_eq(u[0].reads, 4);
	cr_assert_eq(other, 11);
}

Test(bus, unregister)
{
	struct rec_dev d = { 0 };
	uint8_t v = 0;

	bus_register(&bus, 0x60, 1, &rec_ops, &d, "kbd");
	bus_register(&bus, 0x64, 1, &rec_ops, &d, "kbd-cmd");
	cr_assert_eq(bus_unregister(&bus, 0x61), -ENOENT, "not a base");
	cr_assert_eq(bus_unregister(&bus, 0x60), 0);
	cr_assert_eq(bus_unregister(&bus, 0x60), -ENOENT);
	cr_assert_not(bus_access(&bus, 0x60, &v, 1, false));
	cr_assert(bus_access(&bus, 0x64, &v, 1, false));
	cr_assert_eq(bus_register(&bus, 0x60, 1, &rec_ops, &d, "kbd"), 0, "slot reusable");
	cr_assert(bus_access(&bus, 0x60, &v, 1, false));
}

Test(bus, many_ranges_grow)
{
	struct rec_dev d = { 0 };
	uint8_t v;

	for (uint64_t i = 0; i < 100; i++)
		cr_assert_eq(bus_register(&bus, 0x10000 - i * 0x10, 0x10, &rec_ops, &d, "r"), 0);
	for (uint64_t i = 0; i < 100; i++) {
		cr_assert(bus_access(&bus, 0x10000 - i * 0x10 + 0xF, &v, 1, false));
		cr_assert_eq(d.last_off, 0xF);
	}
}

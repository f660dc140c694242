/* Legacy no-op ports: registration on a real bus, read values, counting. */
#include <errno.h>

#include <criterion/criterion.h>

#include "bus.h"
#include "dev/legacy.h"

static struct bus pio;
static struct legacy l;

static void setup(void)
{
	cr_assert_eq(bus_init(&pio, "pio"), 0);
	cr_assert_eq(legacy_init(&l), 0);
	cr_assert_eq(legacy_register(&l, &pio), 0);
}

static void teardown(void)
{
	legacy_unregister(&l, &pio);
	legacy_destroy(&l);
	bus_destroy(&pio);
}

static uint8_t inb(uint16_t port)
{
	uint8_t v = 0x5a;
	cr_assert(bus_access(&pio, port, &v, 1, false), "port %#x unclaimed", port);
	return v;
}

static void outb(uint16_t port, uint8_t v)
{
	cr_assert(bus_access(&pio, port, &v, 1, true), "port %#x unclaimed", port);
}

TestSuite(legacy, .init = setup, .fini = teardown);

Test(legacy, read_values)
{
	cr_assert_eq(inb(0x92), 0x02);
	cr_assert_eq(inb(0x80), 0xff);
	cr_assert_eq(inb(0xED), 0xff);
	cr_assert_eq(inb(0x08), 0x00);
	cr_assert_eq(inb(0x87), 0x00);
	cr_assert_eq(inb(0xDF), 0x00);
}

Test(legacy, port_b_refresh_toggles)
{
	uint8_t a = inb(0x61), b = inb(0x61);

	cr_assert_eq((a ^ b) & 0x10, 0x10);
	outb(0x61, 0x03);
	cr_assert_eq(inb(0x61) & 0x2f, 0x23, "gate and speaker bits read back, OUT2 follows gate");
	outb(0x61, 0xf0);
	cr_assert_eq(inb(0x61) & 0x2f, 0x00);
}

Test(legacy, post_code_and_counts)
{
	uint64_t r, w;
	struct legacy_port_count out[LEGACY_NPORTS];

	for (int i = 0; i < 5; i++)
		outb(0x80, (uint8_t)i);
	inb(0x80);
	cr_assert_eq(legacy_post_code(&l), 4);
	cr_assert(legacy_port_count(&l, 0x80, &r, &w));
	cr_assert_eq(r, 1);
	cr_assert_eq(w, 5);
	outb(0xED, 0);
	cr_assert_eq(legacy_counts(&l, out, LEGACY_NPORTS), 2);
	cr_assert_eq(out[0].port, 0x80);
	cr_assert_eq(out[1].port, 0xED);
	cr_assert_eq(legacy_counts(&l, out, 1), 1);
	cr_assert_not(legacy_port_count(&l, 0x3f8, &r, &w));
}

Test(legacy, wide_access_counts_each_port)
{
	uint8_t v[2] = { 1, 2 };
	uint64_t w0, w1;

	cr_assert(bus_access(&pio, 0x00, v, 2, true));
	legacy_port_count(&l, 0x00, NULL, &w0);
	legacy_port_count(&l, 0x01, NULL, &w1);
	cr_assert_eq(w0, 1);
	cr_assert_eq(w1, 1);
}

Test(legacy, not_ours)
{
	uint8_t v;

	/* PIC, PIT, COM1 and ELCR stay unclaimed here. */
	cr_assert_not(bus_access(&pio, 0x20, &v, 1, false));
	cr_assert_not(bus_access(&pio, 0x40, &v, 1, false));
	cr_assert_not(bus_access(&pio, 0x4d0, &v, 1, false));
	cr_assert_not(bus_access(&pio, 0x3f8, &v, 1, false));
}

Test(legacy, register_conflict_rolls_back)
{
	struct bus b2;
	struct legacy l2;
	static const struct bus_ops none = { 0 };

	bus_init(&b2, "pio");
	legacy_init(&l2);
	cr_assert_eq(bus_register(&b2, 0xC5, 1, &none, NULL, "squatter"), 0);
	cr_assert_eq(legacy_register(&l2, &b2), -EEXIST);
	cr_assert_eq(b2.n, 1, "earlier ranges were unregistered");
	legacy_destroy(&l2);
	bus_destroy(&b2);
}

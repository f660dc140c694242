/* MC146818 RTC: BCD/binary, 12/24 h, UIP, register C, guest time setting,
 * CMOS memory size bytes. The host clock is replaced by a fake one. */
#include <criterion/criterion.h>
#include <linux/rtc.h>

#include "dev/rtc.h"
#include "dev_test_util.h"

static struct rtc r;
static struct timespec fake;

static void fake_now(void *opaque, struct timespec *ts)
{
	*ts = fake;
}

static void set_fake(int y, int mo, int d, int h, int mi, int s, long ns)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi, .tm_sec = s };
	fake.tv_sec = timegm(&tm);
	fake.tv_nsec = ns;
}

static void setup(void)
{
	cr_assert_eq(rtc_init(&r, NULL, 8), 0);
	set_fake(2024, 3, 5, 14, 7, 9, 0); /* a Tuesday */
	rtc_set_clock(&r, fake_now, NULL);
}

static void teardown(void)
{
	rtc_destroy(&r);
}

static uint8_t cmos_read(uint8_t idx)
{
	dev_out8(&rtc_ops, &r, 0, idx);
	return dev_in8(&rtc_ops, &r, 1);
}

static void cmos_write(uint8_t idx, uint8_t v)
{
	dev_out8(&rtc_ops, &r, 0, idx);
	dev_out8(&rtc_ops, &r, 1, v);
}

TestSuite(rtc, .init = setup, .fini = teardown);

Test(rtc, bcd_24h_default)
{
	cr_assert_eq(cmos_read(RTC_REG_B), RTC_B_24H);
	cr_assert_eq(cmos_read(RTC_REG_SECONDS), 0x09);
	cr_assert_eq(cmos_read(RTC_REG_MINUTES), 0x07);
	cr_assert_eq(cmos_read(RTC_REG_HOURS), 0x14);
	cr_assert_eq(cmos_read(RTC_REG_WEEKDAY), 0x03);
	cr_assert_eq(cmos_read(RTC_REG_DAY), 0x05);
	cr_assert_eq(cmos_read(RTC_REG_MONTH), 0x03);
	cr_assert_eq(cmos_read(RTC_REG_YEAR), 0x24);
	cr_assert_eq(cmos_read(RTC_REG_CENTURY), 0x20);
	cr_assert_eq(cmos_read(RTC_REG_D), RTC_D_VRT);
	cr_assert_eq(cmos_read(RTC_REG_A), 0x26);
}

Test(rtc, binary_mode)
{
	cmos_write(RTC_REG_B, RTC_B_24H | RTC_B_DM);
	cr_assert_eq(cmos_read(RTC_REG_SECONDS), 9);
	cr_assert_eq(cmos_read(RTC_REG_HOURS), 14);
	cr_assert_eq(cmos_read(RTC_REG_YEAR), 24);
	cr_assert_eq(cmos_read(RTC_REG_CENTURY), 20);
}

Test(rtc, twelve_hour_mode)
{
	cmos_write(RTC_REG_B, 0);
	cr_assert_eq(cmos_read(RTC_REG_HOURS), 0x80 | 0x02, "2 PM");
	set_fake(2024, 3, 5, 0, 30, 0, 0);
	cr_assert_eq(cmos_read(RTC_REG_HOURS), 0x12, "12 AM");
	set_fake(2024, 3, 5, 12, 30, 0, 0);
	cr_assert_eq(cmos_read(RTC_REG_HOURS), 0x80 | 0x12, "12 PM");
	cmos_write(RTC_REG_B, RTC_B_DM);
	set_fake(2024, 3, 5, 23, 30, 0, 0);
	cr_assert_eq(cmos_read(RTC_REG_HOURS), 0x80 | 11, "11 PM binary");
}

Test(rtc, time_follows_host_clock)
{
	fake.tv_sec += 61;
	cr_assert_eq(cmos_read(RTC_REG_SECONDS), 0x10);
	cr_assert_eq(cmos_read(RTC_REG_MINUTES), 0x08);
}

Test(rtc, uip_window)
{
	fake.tv_nsec = 999999999L - 100000; /* 100 us before the update */
	cr_assert(cmos_read(RTC_REG_A) & RTC_A_UIP);
	fake.tv_nsec = 500000000L;
	cr_assert_eq(cmos_read(RTC_REG_A) & RTC_A_UIP, 0);
	cmos_write(RTC_REG_A, 0xff);
	cr_assert_eq(cmos_read(RTC_REG_A), 0x7f, "UIP is read-only");
}

Test(rtc, register_c_clears_on_read)
{
	cr_assert_eq(cmos_read(RTC_REG_C), 0);
	fake.tv_sec++;
	cr_assert_eq(cmos_read(RTC_REG_C), RTC_UF);
	cr_assert_eq(cmos_read(RTC_REG_C), 0, "read clears");
	cmos_write(RTC_REG_B, RTC_B_24H | RTC_B_UIE);
	fake.tv_sec++;
	cr_assert_eq(cmos_read(RTC_REG_C), RTC_UF | RTC_IRQF);
	cmos_write(RTC_REG_C, 0xff);
	cmos_write(RTC_REG_D, 0x00);
	cr_assert_eq(cmos_read(RTC_REG_C), 0);
	cr_assert_eq(cmos_read(RTC_REG_D), RTC_D_VRT);
}

Test(rtc, guest_sets_time)
{
	/* hwclock --systohc style: SET, write fields, clear SET. */
	cmos_write(RTC_REG_B, RTC_B_SET | RTC_B_24H | RTC_B_UIE);
	cr_assert_eq(cmos_read(RTC_REG_B) & RTC_B_UIE, 0, "SET clears UIE");
	cmos_write(RTC_REG_YEAR, 0x99);
	cmos_write(RTC_REG_CENTURY, 0x19);
	cmos_write(RTC_REG_MONTH, 0x12);
	cmos_write(RTC_REG_DAY, 0x31);
	cmos_write(RTC_REG_HOURS, 0x23);
	cmos_write(RTC_REG_MINUTES, 0x59);
	cmos_write(RTC_REG_SECONDS, 0x50);
	fake.tv_sec += 100; /* frozen while SET */
	cr_assert_eq(cmos_read(RTC_REG_SECONDS), 0x50);
	cr_assert_eq(cmos_read(RTC_REG_A) & RTC_A_UIP, 0);
	cmos_write(RTC_REG_B, RTC_B_24H);
	fake.tv_sec += 15;
	cr_assert_eq(cmos_read(RTC_REG_SECONDS), 0x05);
	cr_assert_eq(cmos_read(RTC_REG_MINUTES), 0x00);
	cr_assert_eq(cmos_read(RTC_REG_YEAR), 0x00);
	cr_assert_eq(cmos_read(RTC_REG_CENTURY), 0x20);
	cr_assert_eq(cmos_read(RTC_REG_MONTH), 0x01);
	cr_assert_eq(cmos_read(RTC_REG_DAY), 0x01);
	cr_assert_eq(cmos_read(RTC_REG_WEEKDAY), 0x07, "2000-01-01 was a Saturday");
}

Test(rtc, garbage_time_writes_are_clamped)
{
	cmos_write(RTC_REG_MONTH, 0xff);
	cmos_write(RTC_REG_SECONDS, 0xff);
	cmos_write(RTC_REG_HOURS, 0xff);
	cr_assert_eq(cmos_read(RTC_REG_MONTH), 0x12);
	cr_assert_eq(cmos_read(RTC_REG_HOURS), 0x23);
}

Test(rtc, index_register_and_storage)
{
	cmos_write(0x40, 0xAB);
	cmos_write(0x7F, 0xCD);
	cr_assert_eq(cmos_read(0x40), 0xAB);
	cr_assert_eq(cmos_read(0x7F), 0xCD);
	/* Bit 7 of the index is the NMI mask, not part of the address. */
	dev_out8(&rtc_ops, &r, 0, 0x80 | 0x40);
	cr_assert_eq(dev_in8(&rtc_ops, &r, 1), 0xAB);
	cr_assert(r.nmi_masked);
	cr_assert_eq(dev_in8(&rtc_ops, &r, 0), 0xff);
	/* outw 0x70: index and data in one access. */
	uint8_t w[2] = { 0x41, 0x5A };
	rtc_ops.write(&r, 0, w, 2);
	cr_assert_eq(cmos_read(0x41), 0x5A);
	/* Alarm registers are storage. */
	cmos_write(RTC_REG_SEC_ALARM, 0x33);
	cr_assert_eq(cmos_read(RTC_REG_SEC_ALARM), 0x33);
}

Test(rtc, memory_size_small)
{
	rtc_set_memory_size(&r, 32ULL << 20);
	cr_assert_eq(cmos_read(0x15) | cmos_read(0x16) << 8, 640);
	cr_assert_eq(cmos_read(0x17) | cmos_read(0x18) << 8, 31 * 1024);
	cr_assert_eq(cmos_read(0x30) | cmos_read(0x31) << 8, 31 * 1024);
	cr_assert_eq(cmos_read(0x34) | cmos_read(0x35) << 8, (16u << 20) / 65536);
	cr_assert_eq(cmos_read(0x5b) | cmos_read(0x5c) << 8 | cmos_read(0x5d) << 16, 0);
	unsigned sum = 0;
	for (unsigned i = 0x10; i <= 0x2d; i++)
		sum += cmos_read((uint8_t)i);
	cr_assert_eq(sum, (unsigned)(cmos_read(0x2e) << 8 | cmos_read(0x2f)));
}

Test(rtc, memory_size_large)
{
	rtc_set_memory_size(&r, 8ULL << 30);
	cr_assert_eq(cmos_read(0x17) | cmos_read(0x18) << 8, 0xffff, "capped");
	cr_assert_eq(cmos_read(0x34) | cmos_read(0x35) << 8,
		     (unsigned)((0xC0000000ULL - (16u << 20)) / 65536));
	cr_assert_eq(cmos_read(0x5b) | cmos_read(0x5c) << 8 | cmos_read(0x5d) << 16,
		     (unsigned)(((8ULL << 30) - 0xC0000000ULL) / 65536));
}

Test(rtc, real_clock_is_sane)
{
	struct rtc h;
	uint8_t c;

	rtc_init(&h, NULL, 8);
	dev_out8(&rtc_ops, &h, 0, RTC_REG_CENTURY);
	c = dev_in8(&rtc_ops, &h, 1);
	cr_assert(c == 0x20 || c == 0x21);
	rtc_destroy(&h);
}

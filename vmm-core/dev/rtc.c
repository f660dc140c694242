/* MC146818A RTC + CMOS; see rtc.h. References are to the Motorola
 * MC146818A datasheet. */
#include <errno.h>
#include <string.h>

#include <linux/rtc.h> /* RTC_IRQF, RTC_PF, RTC_AF, RTC_UF: register C bits */

#include "dev/rtc.h"
#include "x86/layout.h"

#define RTC_A_WRITABLE  0x7f /* UIP is read-only */
#define RTC_A_POWERON   0x26 /* 32.768 kHz time base, 1024 Hz rate */
#define RTC_B_POWERON   RTC_B_24H /* BCD, 24-hour: what PC BIOSes set */
#define RTC_UIP_NS      244000 /* update cycle warning window, "UIP" */

static void rtc_host_now(void *opaque, struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

static int64_t rtc_guest_time(struct rtc *r, long *nsec)
{
	struct timespec ts;

	r->now(r->now_opaque, &ts);
	if (nsec)
		*nsec = ts.tv_nsec;
	if (r->frozen)
		return r->frozen_time;
	return (int64_t)ts.tv_sec + r->offset;
}

static bool rtc_binary(const struct rtc *r)
{
	return r->cmos[RTC_REG_B] & RTC_B_DM;
}

static uint8_t rtc_to_reg(const struct rtc *r, int v)
{
	if (rtc_binary(r))
		return (uint8_t)v;
	return (uint8_t)(((v / 10) << 4) | (v % 10));
}

/* Guest-written values may be anything: decode, then clamp to the range. */
static int rtc_from_reg(const struct rtc *r, uint8_t v, int lo, int hi)
{
	int x = rtc_binary(r) ? v : (v >> 4) * 10 + (v & 0x0f);

	return x < lo ? lo : x > hi ? hi : x;
}

static uint8_t rtc_hours_to_reg(const struct rtc *r, int h)
{
	int h12;

	if (r->cmos[RTC_REG_B] & RTC_B_24H)
		return rtc_to_reg(r, h);
	/* 12-hour mode: 12, 1..11 with bit 7 = PM (datasheet table 3). */
	h12 = h % 12 ? h % 12 : 12;
	return (uint8_t)(rtc_to_reg(r, h12) | (h >= 12 ? 0x80 : 0));
}

static int rtc_hours_from_reg(const struct rtc *r, uint8_t v)
{
	if (r->cmos[RTC_REG_B] & RTC_B_24H)
		return rtc_from_reg(r, v, 0, 23);
	return rtc_from_reg(r, v & 0x7f, 1, 12) % 12 + ((v & 0x80) ? 12 : 0);
}

static uint8_t rtc_read_time(struct rtc *r, unsigned idx)
{
	time_t t = (time_t)rtc_guest_time(r, NULL);
	struct tm tm;
	int year;

	if (!gmtime_r(&t, &tm))
		memset(&tm, 0, sizeof(tm));
	year = tm.tm_year + 1900;
	switch (idx) {
	case RTC_REG_SECONDS: return rtc_to_reg(r, tm.tm_sec > 59 ? 59 : tm.tm_sec);
	case RTC_REG_MINUTES: return rtc_to_reg(r, tm.tm_min);
	case RTC_REG_HOURS:   return rtc_hours_to_reg(r, tm.tm_hour);
	case RTC_REG_WEEKDAY: return rtc_to_reg(r, tm.tm_wday + 1); /* Sunday = 1 */
	case RTC_REG_DAY:     return rtc_to_reg(r, tm.tm_mday);
	case RTC_REG_MONTH:   return rtc_to_reg(r, tm.tm_mon + 1);
	case RTC_REG_YEAR:    return rtc_to_reg(r, year % 100);
	case RTC_REG_CENTURY: return rtc_to_reg(r, (year / 100) % 100);
	}
	return 0;
}

/* The guest sets one time field: the rest keeps running from "now". */
static void rtc_write_time(struct rtc *r, unsigned idx, uint8_t v)
{
	struct timespec ts;
	time_t t = (time_t)rtc_guest_time(r, NULL), nt;
	struct tm tm;
	int year;

	if (!gmtime_r(&t, &tm))
		return;
	year = tm.tm_year + 1900;
	switch (idx) {
	case RTC_REG_SECONDS: tm.tm_sec = rtc_from_reg(r, v, 0, 59); break;
	case RTC_REG_MINUTES: tm.tm_min = rtc_from_reg(r, v, 0, 59); break;
	case RTC_REG_HOURS:   tm.tm_hour = rtc_hours_from_reg(r, v); break;
	case RTC_REG_DAY:     tm.tm_mday = rtc_from_reg(r, v, 1, 31); break;
	case RTC_REG_MONTH:   tm.tm_mon = rtc_from_reg(r, v, 1, 12) - 1; break;
	case RTC_REG_YEAR:
		year = year / 100 * 100 + rtc_from_reg(r, v, 0, 99);
		break;
	case RTC_REG_CENTURY:
		year = rtc_from_reg(r, v, 19, 99) * 100 + year % 100;
		break;
	default:
		return;
	}
	tm.tm_year = year - 1900;
	nt = timegm(&tm); /* normalises e.g. 31 February */
	if (nt == (time_t)-1)
		return;
	if (r->frozen) {
		r->frozen_time = nt;
	} else {
		r->now(r->now_opaque, &ts);
		r->offset = (int64_t)nt - (int64_t)ts.tv_sec;
	}
}

static uint8_t rtc_read_reg(struct rtc *r, unsigned idx)
{
	long nsec;
	int64_t t;
	uint8_t v;

	switch (idx) {
	case RTC_REG_SECONDS: case RTC_REG_MINUTES: case RTC_REG_HOURS:
	case RTC_REG_WEEKDAY: case RTC_REG_DAY: case RTC_REG_MONTH:
	case RTC_REG_YEAR: case RTC_REG_CENTURY:
		return rtc_read_time(r, idx);
	case RTC_REG_A:
		v = r->cmos[RTC_REG_A];
		rtc_guest_time(r, &nsec);
		if (!r->frozen && nsec >= 1000000000L - RTC_UIP_NS)
			v |= RTC_A_UIP;
		return v;
	case RTC_REG_C:
		/* UF is set once per second whether or not UIE is on; report
		 * it if a second boundary passed since the last read. PF and
		 * AF are not emulated. Reading clears (datasheet "Register C"). */
		t = rtc_guest_time(r, NULL);
		v = 0;
		if (t != r->last_c_read)
			v |= RTC_UF;
		r->last_c_read = t;
		if ((v & RTC_UF) && (r->cmos[RTC_REG_B] & RTC_B_UIE))
			v |= RTC_IRQF;
		return v;
	case RTC_REG_D:
		return RTC_D_VRT; /* valid RAM and time: the battery is fine */
	}
	return r->cmos[idx];
}

static void rtc_write_reg(struct rtc *r, unsigned idx, uint8_t v)
{
	struct timespec ts;

	switch (idx) {
	case RTC_REG_SECONDS: case RTC_REG_MINUTES: case RTC_REG_HOURS:
	case RTC_REG_DAY: case RTC_REG_MONTH: case RTC_REG_YEAR:
	case RTC_REG_CENTURY:
		rtc_write_time(r, idx, v);
		break;
	case RTC_REG_WEEKDAY:
		break; /* derived from the date */
	case RTC_REG_A:
		r->cmos[RTC_REG_A] = v & RTC_A_WRITABLE;
		break;
	case RTC_REG_B:
		if ((v & RTC_B_SET) && !r->frozen) {
			r->frozen_time = rtc_guest_time(r, NULL);
			r->frozen = true;
		} else if (!(v & RTC_B_SET) && r->frozen) {
			r->frozen = false;
			r->now(r->now_opaque, &ts);
			r->offset = r->frozen_time - (int64_t)ts.tv_sec;
		}
		/* SET clears UIE (datasheet "Register B", bit 7). */
		if (v & RTC_B_SET)
			v &= (uint8_t)~RTC_B_UIE;
		r->cmos[RTC_REG_B] = v;
		break;
	case RTC_REG_C:
	case RTC_REG_D:
		break; /* read-only */
	default:
		r->cmos[idx] = v;
		break;
	}
}

static void rtc_read(void *dev, uint64_t offset, void *data, unsigned size)
{
	struct rtc *r = dev;
	uint8_t *out = data;

	pthread_mutex_lock(&r->lock);
	for (unsigned i = 0; i < size; i++) {
		/* The index register is write-only; reads float high. */
		if (((offset + i) & 1) == 0)
			out[i] = 0xff;
		else
			out[i] = rtc_read_reg(r, r->index);
	}
	pthread_mutex_unlock(&r->lock);
}

static void rtc_write(void *dev, uint64_t offset, const void *data, unsigned size)
{
	struct rtc *r = dev;
	const uint8_t *in = data;

	pthread_mutex_lock(&r->lock);
	for (unsigned i = 0; i < size; i++) {
		if (((offset + i) & 1) == 0) {
			r->index = in[i] & 0x7f;
			r->nmi_masked = in[i] & 0x80;
		} else {
			rtc_write_reg(r, r->index, in[i]);
		}
	}
	pthread_mutex_unlock(&r->lock);
}

const struct bus_ops rtc_ops = { .read = rtc_read, .write = rtc_write };

int rtc_init(struct rtc *r, const struct irq_sink *irq, unsigned gsi)
{
	int err;

	memset(r, 0, sizeof(*r));
	err = pthread_mutex_init(&r->lock, NULL);
	if (err)
		return -err;
	if (irq)
		r->irq = *irq;
	r->gsi = gsi;
	r->now = rtc_host_now;
	r->cmos[RTC_REG_A] = RTC_A_POWERON;
	r->cmos[RTC_REG_B] = RTC_B_POWERON;
	r->last_c_read = rtc_guest_time(r, NULL);
	return 0;
}

void rtc_destroy(struct rtc *r)
{
	pthread_mutex_destroy(&r->lock);
}

void rtc_set_clock(struct rtc *r, void (*now)(void *opaque, struct timespec *ts), void *opaque)
{
	pthread_mutex_lock(&r->lock);
	r->now = now ? now : rtc_host_now;
	r->now_opaque = opaque;
	r->last_c_read = rtc_guest_time(r, NULL);
	pthread_mutex_unlock(&r->lock);
}

static void rtc_put16(struct rtc *r, unsigned idx, uint64_t v)
{
	if (v > 0xffff)
		v = 0xffff;
	r->cmos[idx] = (uint8_t)v;
	r->cmos[idx + 1] = (uint8_t)(v >> 8);
}

void rtc_set_memory_size(struct rtc *r, uint64_t bytes)
{
	uint64_t below = bytes < LAYOUT_PCI_HOLE_START ? bytes : LAYOUT_PCI_HOLE_START;
	uint64_t above = bytes - below, ext, sum = 0;

	pthread_mutex_lock(&r->lock);
	/* 0x15-0x16: base memory in KiB (640: the EBDA is carved out of it by
	 * the BIOS data area, not here). */
	rtc_put16(r, 0x15, below / 1024 < 640 ? below / 1024 : 640);
	/* 0x17-0x18 and its POST copy 0x30-0x31: KiB above 1 MiB, max 0xFFFF. */
	ext = below > (1u << 20) ? (below - (1u << 20)) / 1024 : 0;
	rtc_put16(r, 0x17, ext);
	rtc_put16(r, 0x30, ext);
	/* 0x34-0x35: 64 KiB blocks between 16 MiB and 4 GiB. */
	rtc_put16(r, 0x34, below > (16u << 20) ? (below - (16u << 20)) / 65536 : 0);
	/* 0x5B-0x5D: 64 KiB blocks above 4 GiB (QEMU/SeaBIOS convention). */
	above /= 65536;
	if (above > 0xffffff)
		above = 0xffffff;
	r->cmos[0x5b] = (uint8_t)above;
	r->cmos[0x5c] = (uint8_t)(above >> 8);
	r->cmos[0x5d] = (uint8_t)(above >> 16);
	/* IBM AT checksum: sum of 0x10-0x2D, big-endian at 0x2E-0x2F. */
	for (unsigned i = 0x10; i <= 0x2d; i++)
		sum += r->cmos[i];
	r->cmos[0x2e] = (uint8_t)(sum >> 8);
	r->cmos[0x2f] = (uint8_t)sum;
	pthread_mutex_unlock(&r->lock);
}

/* Motorola MC146818A real-time clock and CMOS RAM.
 *
 * Wiring (vm.c): register rtc_ops at PORT_RTC (0x70), length 2, with the
 * struct rtc: offset 0 is the index register, offset 1 the data register.
 * GSI IRQ_RTC (8) is taken at init but never raised: periodic, alarm and
 * update-ended interrupts are not emulated yet (register C still reads
 * safely: its flags are computed, and reading clears them).
 *
 * Time comes from the host clock in UTC, shifted by whatever the guest sets
 * (the offset lives here, host time is never changed). Registers 0x00-0x09
 * and the century byte 0x32 are produced on each read, in BCD or binary
 * (register B bit 2) and 12- or 24-hour form (bit 1). UIP (register A bit 7)
 * is set during the last 244 us of each second, the window before an update
 * in which the datasheet says the time registers may change; a guest that
 * sees UIP clear has 244 us to read a consistent time. The other CMOS bytes
 * are plain storage; rtc_set_memory_size fills the memory-size bytes a PC
 * BIOS would. */
#ifndef VMDECK_DEV_RTC_H
#define VMDECK_DEV_RTC_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "bus.h"
#include "irq.h"

#define RTC_CMOS_SIZE 128

/* Register numbers (MC146818A datasheet, "Address map"). */
#define RTC_REG_SECONDS     0x00
#define RTC_REG_SEC_ALARM   0x01
#define RTC_REG_MINUTES     0x02
#define RTC_REG_MIN_ALARM   0x03
#define RTC_REG_HOURS       0x04
#define RTC_REG_HOUR_ALARM  0x05
#define RTC_REG_WEEKDAY     0x06
#define RTC_REG_DAY         0x07
#define RTC_REG_MONTH       0x08
#define RTC_REG_YEAR        0x09
#define RTC_REG_A           0x0A
#define RTC_REG_B           0x0B
#define RTC_REG_C           0x0C
#define RTC_REG_D           0x0D
#define RTC_REG_CENTURY     0x32 /* IBM PC convention (ACPI FADT "century") */

#define RTC_A_UIP   0x80
#define RTC_B_SET   0x80
#define RTC_B_PIE   0x40
#define RTC_B_AIE   0x20
#define RTC_B_UIE   0x10
#define RTC_B_DM    0x04 /* 1 = binary, 0 = BCD */
#define RTC_B_24H   0x02
#define RTC_D_VRT   0x80

struct rtc {
	pthread_mutex_t lock;
	struct irq_sink irq;
	unsigned gsi;
	uint8_t index;
	bool nmi_masked;        /* index bit 7; recorded, NMIs are not ours */
	uint8_t cmos[RTC_CMOS_SIZE];
	int64_t offset;         /* guest time = host UTC seconds + offset */
	bool frozen;            /* register B SET: time stands still ... */
	int64_t frozen_time;    /* ... at this guest time */
	int64_t last_c_read;    /* guest second when C was last read (UF) */
	void (*now)(void *opaque, struct timespec *ts); /* host clock */
	void *now_opaque;
};

/* irq may be NULL. Returns 0 or -errno. */
int rtc_init(struct rtc *r, const struct irq_sink *irq, unsigned gsi);
void rtc_destroy(struct rtc *r);
/* Fills CMOS 0x15-0x18, 0x30-0x31, 0x34-0x35, 0x5B-0x5D (and the standard
 * checksum at 0x2E-0x2F) for a guest with `bytes` of RAM laid out as in
 * x86/layout.h (RAM above LAYOUT_PCI_HOLE_START moves above 4 GiB). */
void rtc_set_memory_size(struct rtc *r, uint64_t bytes);
/* Replaces the host clock (tests); NULL restores CLOCK_REALTIME. */
void rtc_set_clock(struct rtc *r, void (*now)(void *opaque, struct timespec *ts),
		   void *opaque);

extern const struct bus_ops rtc_ops;

#endif

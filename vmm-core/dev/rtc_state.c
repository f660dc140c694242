/* RTC/CMOS snapshot section; see dev_state.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "dev/dev_state.h"

/* Guest time may be set far from host time, but not so far that adding the
 * host clock overflows (about 35000 years either way). */
#define RTC_OFFSET_MAX (1LL << 40)
/* Guest times the CMOS can show and a guest can set (century 19..99):
 * 1900-01-01 00:00:00 .. 9999-12-31 23:59:59 UTC. Outside them the time
 * registers would be computed from a negative year. */
#define RTC_TIME_MIN (-2208988800LL)
#define RTC_TIME_MAX 253402300799LL

void rtc_save(const struct rtc *cr, struct snap_writer *w)
{
	struct rtc *r = (struct rtc *)cr;

	pthread_mutex_lock(&r->lock);
	snap_begin(w, SNAP_SEC_RTC, 0, RTC_STATE_VERSION);
	snap_put_u8(w, r->index);
	snap_put_u8(w, r->nmi_masked);
	snap_put_u8(w, r->frozen);
	snap_put_u8(w, 0);
	snap_put(w, r->cmos, sizeof(r->cmos));
	snap_put_u64(w, (uint64_t)r->offset);
	snap_put_u64(w, (uint64_t)r->frozen_time);
	snap_put_u64(w, (uint64_t)r->last_c_read);
	snap_end(w);
	pthread_mutex_unlock(&r->lock);
}

int rtc_load(struct rtc *r, const void *buf, size_t len, char *err, size_t errlen)
{
	struct snap_cursor c;
	uint8_t index, nmi, frozen, pad, cmos[RTC_CMOS_SIZE];
	int64_t offset, frozen_time, last_c;
	const char *why = NULL;

	snap_cursor_init(&c, buf, len);
	index = snap_get_u8(&c);
	nmi = snap_get_u8(&c);
	frozen = snap_get_u8(&c);
	pad = snap_get_u8(&c);
	snap_get(&c, cmos, sizeof(cmos));
	offset = (int64_t)snap_get_u64(&c);
	frozen_time = (int64_t)snap_get_u64(&c);
	last_c = (int64_t)snap_get_u64(&c);
	if (!snap_cursor_done(&c))
		why = "wrong section size";
	else if (index >= RTC_CMOS_SIZE)
		why = "index register outside the CMOS";
	else if (nmi > 1 || frozen > 1 || pad)
		why = "flags not 0/1";
	else if (offset > RTC_OFFSET_MAX || offset < -RTC_OFFSET_MAX ||
		 frozen_time > RTC_OFFSET_MAX * 2 || frozen_time < -RTC_OFFSET_MAX * 2)
		why = "guest time too far from host time";
	else {
		/* The guest time the device will show: frozen, or host time + offset. */
		struct timespec ts;
		int64_t t = frozen_time;
		if (!frozen) {
			clock_gettime(CLOCK_REALTIME, &ts);
			t = (int64_t)ts.tv_sec + offset;
		}
		if (t < RTC_TIME_MIN || t > RTC_TIME_MAX)
			why = "guest time outside the years 1900-9999";
	}
	if (why) {
		snprintf(err, errlen, "%s: RTC: %s", snap_error_name(SNAP_E_BAD_STATE), why);
		return -EINVAL;
	}
	if (!r)
		return 0;
	pthread_mutex_lock(&r->lock);
	r->index = index;
	r->nmi_masked = nmi;
	r->frozen = frozen;
	memcpy(r->cmos, cmos, sizeof(cmos));
	r->offset = offset;
	r->frozen_time = frozen_time;
	r->last_c_read = last_c;
	pthread_mutex_unlock(&r->lock);
	return 0;
}

/* Debug ports snapshot section; see dev_state.h. */
#include <errno.h>
#include <stdio.h>

#include "dev/dev_state.h"

void debugport_save(const struct debugport *cd, struct snap_writer *w)
{
	struct debugport *d = (struct debugport *)cd;

	pthread_mutex_lock(&d->lock);
	snap_begin(w, SNAP_SEC_DEBUGPORT, 0, DEBUGPORT_STATE_VERSION);
	snap_put_u8(w, d->exit_requested);
	snap_put_u32(w, d->exit_code);
	snap_end(w);
	pthread_mutex_unlock(&d->lock);
}

int debugport_load(struct debugport *d, const void *buf, size_t len, char *err, size_t errlen)
{
	struct snap_cursor c;
	uint8_t req;
	uint32_t code;

	snap_cursor_init(&c, buf, len);
	req = snap_get_u8(&c);
	code = snap_get_u32(&c);
	if (!snap_cursor_done(&c) || req > 1) {
		snprintf(err, errlen, "%s: debug ports: %s", snap_error_name(SNAP_E_BAD_STATE),
			 req > 1 ? "exit flag not 0/1" : "wrong section size");
		return -EINVAL;
	}
	if (!d)
		return 0;
	pthread_mutex_lock(&d->lock);
	d->exit_requested = req;
	d->exit_code = code;
	pthread_mutex_unlock(&d->lock);
	return 0;
}

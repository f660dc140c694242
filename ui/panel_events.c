/* The event log, newest at the bottom. */
#include <time.h>

#include "uictx.h"

void panel_events_draw(struct ui *ui, const struct ui_rect *r)
{
	struct crt *t = &ui->crt;
	const struct evlog *log = &ui->model.log;

	if (r->h < 3 || r->w < 10)
		return;
	crt_box(t, r->y, r->x, r->h, r->w, CRT_DIM, "Events");
	int inner = r->h - 2;
	unsigned first = log->count > (unsigned)inner ? log->count - (unsigned)inner : 0;
	for (unsigned i = first; i < log->count; i++) {
		const struct evlog_entry *e = evlog_get(log, i);
		struct tm tm;
		char ts[16];
		localtime_r(&e->when, &tm);
		strftime(ts, sizeof(ts), "%H:%M:%S", &tm);
		int y = r->y + 1 + (int)(i - first);
		int x = r->x + 1;
		x += crt_textf(t, y, x, r->w - 2, CRT_DIM, "%s ", ts);
		crt_text(t, y, x, r->x + r->w - 1 - x,
			 e->level == EVLOG_ERROR ? CRT_ERR : e->level == EVLOG_WARN ? CRT_WARN : CRT_NORMAL,
			 e->text);
	}
}

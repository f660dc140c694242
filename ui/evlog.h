/* The event log: VM lifecycle events (started, paused, exited with status,
 * triple fault, ...) and the dashboard's own actions, newest last. */
#ifndef VMDECK_UI_EVLOG_H
#define VMDECK_UI_EVLOG_H

#include <stdint.h>
#include <time.h>

#define EVLOG_MAX 200
#define EVLOG_TEXT 160

enum evlog_level { EVLOG_INFO, EVLOG_WARN, EVLOG_ERROR };

struct evlog_entry {
	time_t when;
	enum evlog_level level;
	char text[EVLOG_TEXT];
};

struct evlog {
	struct evlog_entry e[EVLOG_MAX];
	unsigned first, count;
};

void evlog_add(struct evlog *log, enum evlog_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Entry i counted from the oldest. */
const struct evlog_entry *evlog_get(const struct evlog *log, unsigned i);

#endif

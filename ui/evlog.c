/* The event log ring. */
#include "evlog.h"

#include <stdarg.h>
#include <stdio.h>

void evlog_add(struct evlog *log, enum evlog_level level, const char *fmt, ...)
{
	struct evlog_entry *e;
	va_list ap;

	if (log->count < EVLOG_MAX) {
		e = &log->e[(log->first + log->count++) % EVLOG_MAX];
	} else {
		e = &log->e[log->first];
		log->first = (log->first + 1) % EVLOG_MAX;
	}
	e->when = time(NULL);
	e->level = level;
	va_start(ap, fmt);
	vsnprintf(e->text, sizeof(e->text), fmt, ap);
	va_end(ap);
}

const struct evlog_entry *evlog_get(const struct evlog *log, unsigned i)
{
	if (i >= log->count)
		return NULL;
	return &log->e[(log->first + i) % EVLOG_MAX];
}

/* Timed actions of `vmdeck run`: --snapshot-at SECONDS:DIR and
 * --screenshot-at SECONDS:FILE, fired once from the run loop. */
#ifndef VMDECK_RUN_TIMED_H
#define VMDECK_RUN_TIMED_H

#include <stdbool.h>
#include <stdint.h>

struct machine;

struct run_timed {
	const char *path;  /* NULL: not requested */
	uint64_t at_ns;    /* after the start */
	bool done;
};

/* "2.5:/some/dir" -> 0, else -EINVAL. */
int run_parse_timed(const char *arg, struct run_timed *t);
/* Fires t if due (snapshot or screenshot); returns the ms to wait until it
 * is due, or -1 if nothing is pending. */
int run_timed_poll(struct machine *m, struct run_timed *t, uint64_t start_ns, bool snapshot);
void run_timed_fire(struct machine *m, struct run_timed *t, bool snapshot);
/* poll timeout: the smaller, -1 meaning none. */
int run_wait_min(int a, int b);

#endif

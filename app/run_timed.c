/* Timed actions of `vmdeck run`; see run_timed.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine.h"
#include "machine_snapshot.h"
#include "run_timed.h"
#include "vm.h"

int run_parse_timed(const char *arg, struct run_timed *t)
{
	const char *colon = strchr(arg, ':');
	char *end;
	double s;

	if (!colon || !colon[1])
		return -EINVAL;
	s = strtod(arg, &end);
	if (end != colon || s < 0 || s > 1e7)
		return -EINVAL;
	t->at_ns = (uint64_t)(s * 1e9);
	t->path = colon + 1;
	t->done = false;
	return 0;
}

void run_timed_fire(struct machine *m, struct run_timed *t, bool snapshot)
{
	char err[1024];

	t->done = true;
	if (!snapshot) {
		if (machine_screenshot(m, t->path, err, sizeof(err)))
			fprintf(stderr, "vmdeck run: screenshot %s: %s\n", t->path, err);
		return;
	}
	struct machine_snap_stats st;
	if (machine_snapshot(m, t->path, &st, err, sizeof(err))) {
		fprintf(stderr, "vmdeck run: snapshot %s failed, the VM runs on: %s\n", t->path, err);
		return;
	}
	fprintf(stderr, "vmdeck: snapshot %s: paused %.2f ms, durable after %.2f ms, "
		"memory %llu bytes written (%llu pages scanned), state %llu bytes, "
		"msrs %u/%u saved, xsave %u bytes\n", t->path, (double)st.pause_ns / 1e6,
		(double)st.total_ns / 1e6, (unsigned long long)st.mem_bytes,
		(unsigned long long)st.mem_pages_scanned, (unsigned long long)st.state_bytes,
		st.vs.msrs_saved, st.vs.msrs_listed, st.vs.xsave_size);
}

int run_timed_poll(struct machine *m, struct run_timed *t, uint64_t start_ns, bool snapshot)
{
	uint64_t now = vm_now_ns(), due = start_ns + t->at_ns;

	if (!t->path || t->done)
		return -1;
	if (now >= due) {
		run_timed_fire(m, t, snapshot);
		return -1;
	}
	return (int)((due - now) / 1000000) + 1;
}

int run_wait_min(int a, int b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

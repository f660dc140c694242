/* Crash-test helper for qcow2.
 *   storage_crash write FILE SEED    allocation-heavy random writes, zeroes and
 *                                    discards forever; logs "W i" before op i
 *                                    and "F n" once ops < n are flushed
 *                                    (unbuffered, so kill -9 loses nothing)
 *   storage_crash verify FILE SEED LOG
 * Every 512-byte sector written by op i holds 64 words (i << 32 | sector).
 * After a kill, a sector must hold the last op before the last flush that
 * covered it (or zeroes if none), or the data of an op issued after it. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disk.h"

#define SECT 512u

struct op {
	uint64_t off, len;
	bool zero; /* write_zeroes or discard: reads as zeroes */
	bool discard;
};

static uint64_t rng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static struct op gen(uint64_t *s, uint64_t size)
{
	struct op o = { 0 };
	uint64_t r = rng(s) % 100;
	if (r < 8) { /* whole 64 KiB units: frees clusters for reuse */
		o.len = 65536 * (1 + rng(s) % 4);
		o.off = (rng(s) % (size / 65536)) * 65536;
		o.zero = true;
		o.discard = r < 4;
	} else {
		static const uint64_t lens[] = { 512, 4096, 4096, 8192, 65536, 200704 };
		o.len = lens[rng(s) % 6];
		o.off = (rng(s) % (size / SECT)) * SECT;
	}
	if (o.off + o.len > size)
		o.len = size - o.off;
	return o;
}

static void fill(uint8_t *buf, uint64_t i, const struct op *o)
{
	for (uint64_t p = 0; p < o->len; p += 8) {
		uint64_t v = i << 32 | ((o->off + p) / SECT);
		memcpy(buf + p, &v, 8);
	}
}

static void logline(const char *fmt, uint64_t v)
{
	char b[48];
	int n = snprintf(b, sizeof(b), fmt, v);
	if (write(1, b, (size_t)n) < 0)
		_exit(1);
}

static int do_write(struct disk *d, uint64_t seed)
{
	uint8_t *buf = malloc(256 << 10);
	if (!buf)
		return 1;
	uint64_t s = seed | 1;
	uint64_t next_flush = 1 + rng(&s) % 16;
	for (uint64_t i = 0;; i++) {
		struct op o = gen(&s, d->size);
		logline("W %" PRIu64 "\n", i);
		int ret;
		if (o.discard)
			ret = disk_discard(d, o.off, o.len);
		else if (o.zero)
			ret = disk_write_zeroes(d, o.off, o.len);
		else {
			fill(buf, i, &o);
			ret = disk_pwrite(d, buf, o.len, o.off);
		}
		if (!ret && --next_flush == 0) {
			ret = disk_flush(d);
			logline("F %" PRIu64 "\n", i + 1);
			next_flush = 1 + rng(&s) % 16;
		}
		if (ret) {
			fprintf(stderr, "op %" PRIu64 ": %s (%s)\n", i, strerror(-ret), d->errmsg);
			return 1;
		}
	}
}

static bool covers(const struct op *o, uint64_t sector)
{
	uint64_t b = sector * SECT;
	return b >= o->off && b < o->off + o->len;
}

static int do_verify(struct disk *d, uint64_t seed, const char *logpath)
{
	FILE *f = fopen(logpath, "r");
	if (!f) {
		perror(logpath);
		return 1;
	}
	uint64_t flushed = 0, issued = 0, v;
	char kind;
	while (fscanf(f, " %c %" SCNu64, &kind, &v) == 2) {
		if (kind == 'F')
			flushed = v;
		else if (kind == 'W')
			issued = v + 1;
	}
	fclose(f);
	uint64_t s = seed | 1;
	struct op *ops = calloc(issued ? issued : 1, sizeof(*ops));
	uint64_t nsec = d->size / SECT;
	int64_t *last = malloc(nsec * sizeof(*last)); /* last flushed op, -1 none */
	if (!ops || !last)
		return 1;
	for (uint64_t i = 0; i < nsec; i++)
		last[i] = -1;
	/* replay the generator: the flush-interval draws interleave with ops */
	uint64_t next_flush;
	s = seed | 1;
	next_flush = 1 + rng(&s) % 16;
	for (uint64_t i = 0; i < issued; i++) {
		ops[i] = gen(&s, d->size);
		if (--next_flush == 0)
			next_flush = 1 + rng(&s) % 16;
		if (i < flushed) {
			for (uint64_t sec = ops[i].off / SECT; sec < (ops[i].off + ops[i].len) / SECT; sec++)
				last[sec] = (int64_t)i;
		}
	}
	uint8_t buf[SECT];
	uint64_t bad = 0;
	for (uint64_t sec = 0; sec < nsec; sec++) {
		int ret = disk_pread(d, buf, SECT, sec * SECT);
		if (ret) {
			fprintf(stderr, "read sector %" PRIu64 ": %s (%s)\n", sec, strerror(-ret), d->errmsg);
			return 1;
		}
		uint64_t w0;
		memcpy(&w0, buf, 8);
		bool zero = true, uniform = true;
		for (unsigned p = 0; p < SECT; p += 8) {
			uint64_t w;
			memcpy(&w, buf + p, 8);
			zero &= w == 0;
			uniform &= w == w0;
		}
		int64_t got = -2; /* -1 zero, -2 garbage */
		if (zero)
			got = -1;
		else if (uniform && (w0 & 0xffffffffu) == sec)
			got = (int64_t)(w0 >> 32);
		int64_t want = last[sec];
		bool ok = false;
		if (want >= 0 && ops[want].zero)
			want = -1;
		if (got == want)
			ok = true;
		for (uint64_t i = flushed; !ok && got != -2 && i < issued; i++) {
			if (covers(&ops[i], sec) && ((ops[i].zero && got == -1) || (int64_t)i == got))
				ok = true;
		}
		if (!ok && bad++ < 10)
			fprintf(stderr, "sector %" PRIu64 ": got %" PRId64 ", want %" PRId64
				" (flushed %" PRIu64 ", issued %" PRIu64 ")\n", sec, got, want, flushed, issued);
	}
	printf("verified %" PRIu64 " sectors: flushed ops %" PRIu64 ", issued %" PRIu64 ", bad %" PRIu64
	       "\n", nsec, flushed, issued, bad);
	free(ops);
	free(last);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	if (argc < 4 || (strcmp(argv[1], "write") && strcmp(argv[1], "verify")) ||
	    (!strcmp(argv[1], "verify") && argc < 5)) {
		fprintf(stderr, "usage: storage_crash write FILE SEED | verify FILE SEED LOG\n");
		return 2;
	}
	bool wr = !strcmp(argv[1], "write");
	struct disk_open_opts o = { .readonly = !wr };
	struct disk *d;
	char err[1024];
	if (disk_open(argv[2], "qcow2", &o, &d, err, sizeof(err))) {
		fprintf(stderr, "open: %s\n", err);
		return 1;
	}
	uint64_t seed = strtoull(argv[3], NULL, 0);
	int rc = wr ? do_write(d, seed) : do_verify(d, seed, argv[4]);
	disk_close(d);
	return rc;
}

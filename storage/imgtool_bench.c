/* `vmdeck img bench`: synchronous (queue depth 1) reads or writes of a fixed
 * block size, sequential (with optional step, like qemu-img bench -S) or
 * random (deterministic xorshift, block-aligned), timed with CLOCK_MONOTONIC. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "disk.h"
#include "imgtool.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int imgtool_bench(int argc, char **argv)
{
	static const struct option lo[] = { { "flush-interval", required_argument, NULL, 'F' },
					    { 0 } };
	const char *fmt_opt = NULL, *pattern = "seq";
	bool wr = false;
	uint64_t bs = 4096, count = 75000, step = 0, start = 0, flush_every = 0;
	enum disk_cache_mode cache = DISK_CACHE_WRITEBACK;
	int c;
	while ((c = getopt_long(argc, argv, "f:wp:s:c:S:o:t:", lo, NULL)) != -1) {
		int bad = 0;
		switch (c) {
		case 'f': fmt_opt = optarg; break;
		case 'w': wr = true; break;
		case 'p': pattern = optarg; break;
		case 's': bad = disk_parse_size(optarg, &bs); break;
		case 'c': bad = disk_parse_size(optarg, &count); break;
		case 'S': bad = disk_parse_size(optarg, &step); break;
		case 'o': bad = disk_parse_size(optarg, &start); break;
		case 'F': bad = disk_parse_size(optarg, &flush_every); break;
		case 't': bad = disk_parse_cache_mode(optarg, &cache); break;
		default: bad = 1; break;
		}
		if (bad) {
			fprintf(stderr, "img bench: bad option (see vmdeck img --help)\n");
			return 1;
		}
	}
	bool random = !strcmp(pattern, "random");
	if ((!random && strcmp(pattern, "seq")) || optind + 1 != argc || !bs || bs > (64u << 20)) {
		fprintf(stderr, "img bench: usage: bench [-w] [-p seq|random] [-s BS] [-c N] FILE\n");
		return 1;
	}
	if (!step)
		step = bs;
	const char *fmt;
	if (imgtool_format(argv[optind], fmt_opt, &fmt))
		return 1;
	char err[1024];
	struct disk_open_opts o = { .readonly = !wr, .cache = cache };
	struct disk *d;
	if (disk_open(argv[optind], fmt, &o, &d, err, sizeof(err))) {
		fprintf(stderr, "img bench: %s\n", err);
		return 1;
	}
	if (d->size < bs + start) {
		fprintf(stderr, "img bench: image smaller than one block\n");
		disk_close(d);
		return 1;
	}
	void *buf;
	if (posix_memalign(&buf, 4096, bs)) {
		disk_close(d);
		return 1;
	}
	memset(buf, wr ? 0xa5 : 0, bs);
	uint64_t blocks = (d->size - start) / bs;
	uint64_t x = 0x9e3779b97f4a7c15ull, off = start;
	printf("Sending %" PRIu64 " %s requests, %" PRIu64 " bytes each, pattern %s, cache %s\n",
	       count, wr ? "write" : "read", bs, random ? "random" : "seq",
	       disk_cache_mode_name(cache));
	struct imgtool_progress p;
	imgtool_progress_start(&p, "bench", count);
	double t0 = now();
	int ret = 0;
	for (uint64_t i = 0; i < count && !ret; i++) {
		if (random) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			off = start + (x % blocks) * bs;
		} else if (off + bs > d->size) {
			off = start;
		}
		ret = wr ? disk_pwrite(d, buf, bs, off) : disk_pread(d, buf, bs, off);
		if (!random)
			off += step;
		if (!ret && flush_every && (i + 1) % flush_every == 0)
			ret = disk_flush(d);
		if ((i & 1023) == 0)
			imgtool_progress_update(&p, i);
	}
	double t1 = now();
	if (!ret && wr)
		ret = disk_flush(d);
	double t2 = now();
	imgtool_progress_end(&p);
	if (ret) {
		fprintf(stderr, "img bench: %s\n", d->errmsg[0] ? d->errmsg : strerror(-ret));
	} else {
		double mb = (double)count * (double)bs / 1e6;
		printf("Run completed in %.3f seconds (final flush %.3f s).\n", t1 - t0, t2 - t1);
		printf("ops: %" PRIu64 "  IOPS: %.0f  MB/s: %.1f\n", count, (double)count / (t1 - t0),
		       mb / (t1 - t0));
	}
	free(buf);
	disk_close(d);
	return ret ? 1 : 0;
}

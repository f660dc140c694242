/* `vmdeck img` subcommands (see imgtool.h for the format policy). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk_internal.h"
#include "imgtool.h"
#include "qcow2.h"
#include "raw.h"

static const char usage[] =
	"usage: vmdeck img COMMAND [options]\n"
	"\n"
	"  create -f qcow2|raw [-b BACKING -F FMT] [-o cluster_size=N] FILE [SIZE]\n"
	"  info [-f FMT] [--json] FILE\n"
	"  check [-f FMT] [-r leaks] FILE    exit 0 clean, 2 corruption, 3 leaks, 1 failed\n"
	"  convert [-f FMT] -O FMT [-o cluster_size=N] SRC DST   (sparse: zero blocks skipped)\n"
	"  commit [-f FMT] OVERLAY           copy OVERLAY's data into its backing file\n"
	"  rebase -u -b NEW -F FMT FILE      rewrite the backing file name only (-b '' removes)\n"
	"  bench [-f FMT] [-w] [-p seq|random] [-s BLOCKSIZE] [-c COUNT] [-S STEP] [-o OFFSET]\n"
	"        [-t CACHE] [--flush-interval N] FILE\n"
	"\n"
	"SIZE and BLOCKSIZE take K, M, G, T suffixes (binary). CACHE: writeback, writethrough,\n"
	"none (O_DIRECT), unsafe. Without -f the format of the FILE named on the command line\n"
	"is read from its magic; backing files are never probed: their format must be recorded\n"
	"in the image (create -F).\n";

static void human(uint64_t v, char *buf, size_t len)
{
	static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double d = (double)v;
	int i = 0;
	while (d >= 1024 && i < 5) {
		d /= 1024;
		i++;
	}
	if (i == 0)
		snprintf(buf, len, "%" PRIu64 " B", v);
	else
		snprintf(buf, len, "%.3g %s", d, u[i]);
}

void imgtool_progress_start(struct imgtool_progress *p, const char *what, uint64_t total)
{
	p->on = isatty(2) && total;
	p->total = total;
	p->last = -1;
	p->what = what;
	imgtool_progress_update(p, 0);
}

void imgtool_progress_update(struct imgtool_progress *p, uint64_t done)
{
	if (!p->on)
		return;
	int pct = (int)(done * 100 / p->total);
	if (pct == p->last)
		return;
	p->last = pct;
	char bar[41];
	int fill = pct * 40 / 100;
	memset(bar, '#', (size_t)fill);
	memset(bar + fill, '.', (size_t)(40 - fill));
	bar[40] = 0;
	fprintf(stderr, "\r%s [%s] %3d%%", p->what, bar, pct);
}

void imgtool_progress_end(struct imgtool_progress *p)
{
	if (p->on) {
		imgtool_progress_update(p, p->total);
		fputc('\n', stderr);
	}
}

int imgtool_format(const char *path, const char *given, const char **fmt)
{
	char err[512];
	if (given) {
		if (disk_check_format(given)) {
			fprintf(stderr, "img: unknown format '%s' (raw, qcow2)\n", given);
			return -EINVAL;
		}
		*fmt = given;
		return 0;
	}
	int ret = disk_probe_format(path, fmt, err, sizeof(err));
	if (ret)
		fprintf(stderr, "img: %s\n", err);
	return ret;
}

static int parse_cluster_opt(const char *o, uint64_t *cs)
{
	if (strncmp(o, "cluster_size=", 13) || disk_parse_size(o + 13, cs)) {
		fprintf(stderr, "img: unsupported option '%s' (cluster_size=N)\n", o);
		return -EINVAL;
	}
	return 0;
}

static int open_top(const char *path, const char *fmt_opt, bool readonly, struct disk **d)
{
	const char *fmt;
	if (imgtool_format(path, fmt_opt, &fmt))
		return 1;
	char err[1024];
	struct disk_open_opts o = { .readonly = readonly };
	int ret = disk_open(path, fmt, &o, d, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "img: %s\n", err);
		return 1;
	}
	return 0;
}

static int create_image(const char *fmt, const char *path, uint64_t size, uint64_t cs,
			const char *backing, const char *bfmt)
{
	char err[1024];
	int ret;
	if (!strcmp(fmt, "raw")) {
		if (backing) {
			fprintf(stderr, "img: raw images have no backing file\n");
			return 1;
		}
		ret = raw_create(path, size, err, sizeof(err));
	} else if (!strcmp(fmt, "qcow2")) {
		ret = qcow2_create(path, size, cs, backing, bfmt, err, sizeof(err));
	} else {
		fprintf(stderr, "img: unknown format '%s' (raw, qcow2)\n", fmt);
		return 1;
	}
	if (ret) {
		fprintf(stderr, "img: %s\n", err);
		return 1;
	}
	return 0;
}

static int cmd_create(int argc, char **argv)
{
	const char *fmt = NULL, *backing = NULL, *bfmt = NULL;
	uint64_t cs = 0, size = 0;
	int c;
	while ((c = getopt(argc, argv, "f:b:F:o:")) != -1) {
		switch (c) {
		case 'f': fmt = optarg; break;
		case 'b': backing = optarg; break;
		case 'F': bfmt = optarg; break;
		case 'o': if (parse_cluster_opt(optarg, &cs)) return 1; break;
		default: fputs(usage, stderr); return 1;
		}
	}
	if (!fmt || optind >= argc || argc - optind > 2) {
		fprintf(stderr, "img create: -f FMT and FILE are required\n");
		return 1;
	}
	if (backing && !bfmt) {
		fprintf(stderr, "img create: -b needs -F FMT (backing formats are never probed)\n");
		return 1;
	}
	if (optind + 1 < argc && disk_parse_size(argv[optind + 1], &size)) {
		fprintf(stderr, "img create: bad size '%s'\n", argv[optind + 1]);
		return 1;
	}
	if (optind + 1 >= argc && !backing) {
		fprintf(stderr, "img create: SIZE is required without a backing file\n");
		return 1;
	}
	int ret = create_image(fmt, argv[optind], size, cs, backing, bfmt);
	if (!ret)
		printf("Formatting '%s', fmt=%s size=%" PRIu64 "%s%s\n", argv[optind], fmt, size,
		       backing ? " backing_file=" : "", backing ? backing : "");
	return ret;
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static uint64_t disk_usage(const char *path)
{
	struct stat st;
	return stat(path, &st) ? 0 : (uint64_t)st.st_blocks * 512;
}

/* One image level, opened without its chain so a broken chain still shows. */
static int info_level(const char *path, const char *fmt, bool json, int level, char **next,
		      char **nextfmt)
{
	char err[1024];
	struct disk_open_opts o = { .readonly = true, .no_backing = true };
	struct disk *d;
	*next = *nextfmt = NULL;
	if (disk_open(path, fmt, &o, &d, err, sizeof(err))) {
		fprintf(stderr, "img: %s\n", err);
		return 1;
	}
	struct qcow2_info qi;
	bool q = qcow2_get_info(d, &qi) == 0;
	uint64_t du = disk_usage(path);
	if (json) {
		printf("%s{\"filename\": ", level ? ", " : "");
		json_str(stdout, path);
		printf(", \"format\": \"%s\", \"virtual-size\": %" PRIu64 ", \"actual-size\": %" PRIu64,
		       fmt, d->size, du);
		if (q) {
			printf(", \"cluster-size\": %" PRIu64 ", \"dirty-flag\": %s", qi.cluster_size,
			       qi.dirty ? "true" : "false");
			printf(", \"format-specific\": {\"type\": \"qcow2\", \"data\": {\"compat\": \"%s\", "
			       "\"compression-type\": \"%s\", \"lazy-refcounts\": %s, \"refcount-bits\": %u, "
			       "\"corrupt\": %s, \"snapshots\": %u}}",
			       qi.version == 2 ? "0.10" : "1.1", qi.compression_type ? "zstd" : "zlib",
			       qi.lazy_refcounts ? "true" : "false", qi.refcount_bits,
			       qi.corrupt ? "true" : "false", qi.nb_snapshots);
			if (qi.backing_file[0]) {
				printf(", \"backing-filename\": ");
				json_str(stdout, qi.backing_file);
				printf(", \"full-backing-filename\": ");
				json_str(stdout, d->backing_path);
				if (qi.backing_fmt[0]) {
					printf(", \"backing-filename-format\": ");
					json_str(stdout, qi.backing_fmt);
				}
			}
		}
		printf("}");
	} else {
		char v[32], a[32];
		human(d->size, v, sizeof(v));
		human(du, a, sizeof(a));
		if (level)
			printf("\n");
		printf("image: %s\nfile format: %s\nvirtual size: %s (%" PRIu64 " bytes)\ndisk size: %s\n",
		       path, fmt, v, d->size, a);
		if (q) {
			printf("cluster_size: %" PRIu64 "\n", qi.cluster_size);
			if (qi.backing_file[0]) {
				printf("backing file: %s", qi.backing_file);
				if (strcmp(qi.backing_file, d->backing_path))
					printf(" (actual path: %s)", d->backing_path);
				printf("\nbacking file format: %s\n",
				       qi.backing_fmt[0] ? qi.backing_fmt : "(not recorded)");
			}
			printf("Format specific information:\n    compat: %s\n    compression type: %s\n"
			       "    lazy refcounts: %s\n    refcount bits: %u\n    corrupt: %s\n"
			       "    dirty: %s\n    snapshots: %u\n",
			       qi.version == 2 ? "0.10" : "1.1", qi.compression_type ? "zstd" : "zlib",
			       qi.lazy_refcounts ? "true" : "false", qi.refcount_bits,
			       qi.corrupt ? "true" : "false", qi.dirty ? "true" : "false", qi.nb_snapshots);
		}
	}
	if (q && qi.backing_file[0]) {
		*next = strdup(d->backing_path);
		*nextfmt = qi.backing_fmt[0] ? strdup(qi.backing_fmt) : NULL;
	}
	disk_close(d);
	return 0;
}

static int cmd_info(int argc, char **argv)
{
	static const struct option lo[] = { { "json", no_argument, NULL, 'j' }, { 0 } };
	const char *fmt_opt = NULL;
	bool json = false;
	int c;
	while ((c = getopt_long(argc, argv, "f:", lo, NULL)) != -1) {
		switch (c) {
		case 'f': fmt_opt = optarg; break;
		case 'j': json = true; break;
		default: fputs(usage, stderr); return 1;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "img info: FILE is required\n");
		return 1;
	}
	const char *fmt;
	if (imgtool_format(argv[optind], fmt_opt, &fmt))
		return 1;
	char *path = strdup(argv[optind]), *f = strdup(fmt);
	int ret = 0;
	if (json)
		printf("[");
	for (int level = 0; path && level <= DISK_MAX_CHAIN; level++) {
		char *next, *nextfmt;
		ret = info_level(path, f, json, level, &next, &nextfmt);
		free(path);
		free(f);
		path = next;
		f = nextfmt;
		if (ret)
			break;
		if (path && !f) {
			fprintf(stderr, "img: %s: backing file format not recorded; chain not followed\n",
				path);
			break;
		}
	}
	free(path);
	free(f);
	if (json)
		printf("]\n");
	return ret;
}

static void check_report(void *ctx, const char *msg)
{
	(void)ctx;
	printf("%s\n", msg);
}

static int cmd_check(int argc, char **argv)
{
	const char *fmt_opt = NULL;
	bool repair = false;
	int c;
	while ((c = getopt(argc, argv, "f:r:")) != -1) {
		switch (c) {
		case 'f': fmt_opt = optarg; break;
		case 'r':
			if (strcmp(optarg, "leaks")) {
				fprintf(stderr, "img check: only -r leaks is supported\n");
				return 1;
			}
			repair = true;
			break;
		default: fputs(usage, stderr); return 1;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "img check: FILE is required\n");
		return 1;
	}
	const char *fmt;
	if (imgtool_format(argv[optind], fmt_opt, &fmt))
		return 1;
	if (strcmp(fmt, "qcow2")) {
		printf("%s: format %s has no metadata to check\n", argv[optind], fmt);
		return 0;
	}
	struct qcow2_check_result r;
	char err[1024];
	if (qcow2_check(argv[optind], repair, &r, check_report, NULL, err, sizeof(err))) {
		fprintf(stderr, "img check: %s\n", err);
		return 1;
	}
	if (r.leaks_fixed)
		printf("The following inconsistencies were found and repaired:\n\n    %" PRIu64
		       " leaked clusters\n    0 corruptions\n\n", r.leaks_fixed);
	if (r.corruptions)
		printf("\n%" PRIu64 " errors were found on the image.\nData may be corrupted, or further "
		       "writes to the image may corrupt it.\n", r.corruptions);
	if (r.leaks && !r.leaks_fixed)
		printf("\n%" PRIu64 " leaked clusters were found on the image.\nThis means waste of disk "
		       "space, but no harm to data.\n", r.leaks);
	if (!r.corruptions && (!r.leaks || r.leaks_fixed))
		printf("No errors were found on the image.\n");
	if (r.total_clusters)
		printf("%" PRIu64 "/%" PRIu64 " = %.2f%% allocated, %" PRIu64 " compressed clusters\n",
		       r.allocated_clusters, r.total_clusters,
		       100.0 * (double)r.allocated_clusters / (double)r.total_clusters,
		       r.compressed_clusters);
	printf("Image end offset: %" PRIu64 "\n", r.image_end_offset);
	if (r.corruptions)
		return 2;
	if (r.leaks && !r.leaks_fixed)
		return 3;
	return 0;
}

/* Copies src to dst skipping blocks that are zero in src (dst reads zero
 * where nothing is written: a new qcow2 or sparse raw file). */
static int copy_data(struct disk *src, struct disk *dst, bool only_allocated, const char *what)
{
	const size_t chunk = 2u << 20, gran = 65536;
	uint8_t *buf;
	if (posix_memalign((void **)&buf, 4096, chunk))
		return -ENOMEM;
	struct imgtool_progress p;
	imgtool_progress_start(&p, what, src->size);
	int ret = 0;
	uint64_t off = 0;
	while (off < src->size && !ret) {
		uint64_t len = src->size - off < chunk ? src->size - off : chunk;
		uint64_t n;
		int st = disk_block_status(src, off, len, &n);
		if (st < 0) {
			ret = st;
			break;
		}
		if (only_allocated && !(st & DISK_BS_ALLOCATED)) {
			off += n;
			continue;
		}
		if (st & DISK_BS_ZERO) {
			if (only_allocated)
				ret = disk_write_zeroes(dst, off, n);
			off += n;
			imgtool_progress_update(&p, off);
			continue;
		}
		ret = disk_pread(src, buf, (size_t)n, off);
		for (uint64_t pos = 0; !ret && pos < n; pos += gran) {
			size_t m = n - pos < gran ? (size_t)(n - pos) : gran;
			if (!only_allocated && buf_is_zero(buf + pos, m))
				continue;
			ret = disk_pwrite(dst, buf + pos, m, off + pos);
		}
		off += n;
		imgtool_progress_update(&p, off);
	}
	if (!ret)
		ret = disk_flush(dst);
	imgtool_progress_end(&p);
	free(buf);
	return ret;
}

static int cmd_convert(int argc, char **argv)
{
	const char *fmt_opt = NULL, *ofmt = NULL;
	uint64_t cs = 0;
	int c;
	while ((c = getopt(argc, argv, "f:O:o:")) != -1) {
		switch (c) {
		case 'f': fmt_opt = optarg; break;
		case 'O': ofmt = optarg; break;
		case 'o': if (parse_cluster_opt(optarg, &cs)) return 1; break;
		default: fputs(usage, stderr); return 1;
		}
	}
	if (!ofmt || optind + 2 != argc) {
		fprintf(stderr, "img convert: -O FMT SRC DST are required\n");
		return 1;
	}
	struct disk *src, *dst;
	if (open_top(argv[optind], fmt_opt, true, &src))
		return 1;
	if (create_image(ofmt, argv[optind + 1], src->size, cs, NULL, NULL)) {
		disk_close(src);
		return 1;
	}
	if (open_top(argv[optind + 1], ofmt, false, &dst)) {
		disk_close(src);
		return 1;
	}
	int ret = copy_data(src, dst, false, "convert");
	if (ret)
		fprintf(stderr, "img convert: %s\n", src->errmsg[0] ? src->errmsg
						     : dst->errmsg[0] ? dst->errmsg : strerror(-ret));
	disk_close(src);
	disk_close(dst);
	return ret ? 1 : 0;
}

static int cmd_commit(int argc, char **argv)
{
	const char *fmt_opt = NULL;
	int c;
	while ((c = getopt(argc, argv, "f:")) != -1) {
		if (c == 'f')
			fmt_opt = optarg;
		else {
			fputs(usage, stderr);
			return 1;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "img commit: OVERLAY is required\n");
		return 1;
	}
	struct disk *top, *base;
	if (open_top(argv[optind], fmt_opt, true, &top))
		return 1;
	struct qcow2_info qi;
	if (qcow2_get_info(top, &qi) || !top->backing) {
		fprintf(stderr, "img commit: %s has no backing file\n", argv[optind]);
		disk_close(top);
		return 1;
	}
	char err[1024];
	struct disk_open_opts o = { 0 };
	if (disk_open(top->backing_path, top->backing->format, &o, &base, err, sizeof(err))) {
		fprintf(stderr, "img commit: %s\n", err);
		disk_close(top);
		return 1;
	}
	if (base->size < top->size) {
		fprintf(stderr, "img commit: backing file %s is smaller than %s\n", base->path, top->path);
		disk_close(base);
		disk_close(top);
		return 1;
	}
	int ret = copy_data(top, base, true, "commit");
	if (ret)
		fprintf(stderr, "img commit: %s\n", top->errmsg[0] ? top->errmsg
						    : base->errmsg[0] ? base->errmsg : strerror(-ret));
	else
		printf("Image committed.\n");
	disk_close(base);
	disk_close(top);
	return ret ? 1 : 0;
}

static int cmd_rebase(int argc, char **argv)
{
	const char *b = NULL, *bf = NULL;
	bool unsafe = false;
	int c;
	while ((c = getopt(argc, argv, "ub:F:f:")) != -1) {
		switch (c) {
		case 'u': unsafe = true; break;
		case 'b': b = optarg; break;
		case 'F': bf = optarg; break;
		case 'f':
			if (strcmp(optarg, "qcow2")) {
				fprintf(stderr, "img rebase: only qcow2 images have a backing file\n");
				return 1;
			}
			break;
		default: fputs(usage, stderr); return 1;
		}
	}
	if (!unsafe || !b || optind + 1 != argc) {
		fprintf(stderr, "img rebase: only unsafe mode is supported: rebase -u -b NEW -F FMT FILE\n");
		return 1;
	}
	if (b[0] && !bf) {
		fprintf(stderr, "img rebase: -F FMT is required (backing formats are never probed)\n");
		return 1;
	}
	char err[1024];
	if (qcow2_set_backing(argv[optind], b[0] ? b : NULL, bf, err, sizeof(err))) {
		fprintf(stderr, "img rebase: %s\n", err);
		return 1;
	}
	return 0;
}

int imgtool_main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		fputs(usage, argc < 2 ? stderr : stdout);
		return argc < 2 ? 1 : 0;
	}
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} cmds[] = {
		{ "create", cmd_create }, { "info", cmd_info },     { "check", cmd_check },
		{ "convert", cmd_convert }, { "commit", cmd_commit }, { "rebase", cmd_rebase },
		{ "bench", imgtool_bench },
	};
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (!strcmp(argv[1], cmds[i].name)) {
			optind = 0; /* glibc: full getopt reinitialisation */
			return cmds[i].fn(argc - 1, argv + 1);
		}
	}
	fprintf(stderr, "img: unknown command '%s'\n%s", argv[1], usage);
	return 1;
}

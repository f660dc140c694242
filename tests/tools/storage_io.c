/* Test helper, a tiny qemu-io: storage_io [-f FMT] [-t CACHE] [-B BACKING_FMT] FILE 'CMD' ...
 * CMD: "write [-P BYTE] OFF LEN", "read [-P BYTE] OFF LEN" (verifies BYTE when
 * given), "zero OFF LEN", "discard OFF LEN", "flush", "size".
 * Exit 0 when every command succeeded (and every verify matched). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disk.h"

static int run(struct disk *d, char *cmd)
{
	char *argv[8];
	int argc = 0;
	for (char *t = strtok(cmd, " "); t && argc < 8; t = strtok(NULL, " "))
		argv[argc++] = t;
	if (!argc)
		return 0;
	int pat = -1, a = 1;
	if (argc > 2 && !strcmp(argv[1], "-P")) {
		pat = (int)strtol(argv[2], NULL, 0);
		a = 3;
	}
	uint64_t off = 0, len = 0;
	if (argc >= a + 2 && (disk_parse_size(argv[a], &off) || disk_parse_size(argv[a + 1], &len))) {
		fprintf(stderr, "bad numbers in '%s'\n", argv[0]);
		return 1;
	}
	int ret = 0;
	if (!strcmp(argv[0], "write") || !strcmp(argv[0], "read")) {
		bool wr = argv[0][0] == 'w';
		uint8_t *buf = malloc(len ? len : 1);
		if (!buf)
			return 1;
		memset(buf, pat < 0 ? 0xcd : pat, len);
		ret = wr ? disk_pwrite(d, buf, len, off) : disk_pread(d, buf, len, off);
		if (!ret && !wr && pat >= 0) {
			for (uint64_t i = 0; i < len; i++) {
				if (buf[i] != pat) {
					fprintf(stderr, "read: byte at %" PRIu64 " is 0x%02x, expected 0x%02x\n",
						off + i, buf[i], pat);
					free(buf);
					return 1;
				}
			}
		}
		free(buf);
	} else if (!strcmp(argv[0], "zero")) {
		ret = disk_write_zeroes(d, off, len);
	} else if (!strcmp(argv[0], "discard")) {
		ret = disk_discard(d, off, len);
	} else if (!strcmp(argv[0], "flush")) {
		ret = disk_flush(d);
	} else if (!strcmp(argv[0], "size")) {
		printf("%" PRIu64 "\n", d->size);
	} else {
		fprintf(stderr, "unknown command '%s'\n", argv[0]);
		return 1;
	}
	if (ret) {
		fprintf(stderr, "%s: %s (%s)\n", argv[0], strerror(-ret), d->errmsg);
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *fmt = "qcow2", *bfmt = NULL;
	enum disk_cache_mode cache = DISK_CACHE_WRITEBACK;
	bool ro = false;
	int c;
	while ((c = getopt(argc, argv, "f:t:B:r")) != -1) {
		switch (c) {
		case 'f': fmt = optarg; break;
		case 'B': bfmt = optarg; break;
		case 'r': ro = true; break;
		case 't':
			if (disk_parse_cache_mode(optarg, &cache)) {
				fprintf(stderr, "bad cache mode\n");
				return 2;
			}
			break;
		default: return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: storage_io [-f FMT] [-t CACHE] [-r] FILE 'CMD' ...\n");
		return 2;
	}
	struct disk_open_opts o = { .readonly = ro, .cache = cache, .backing_format = bfmt };
	struct disk *d;
	char err[1024];
	int ret = disk_open(argv[optind], fmt, &o, &d, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "open: %s\n", err);
		return 1;
	}
	int rc = 0;
	for (int i = optind + 1; i < argc && !rc; i++) {
		char *cmd = strdup(argv[i]);
		rc = run(d, cmd);
		free(cmd);
	}
	disk_close(d);
	return rc;
}

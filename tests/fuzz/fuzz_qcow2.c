/* qcow2 image as hostile input: the fuzz input is the image file. It is
 * opened read-write (a backing file it names resolves in the harness's
 * private directory, where base.raw and base.qcow2 exist), a few sectors
 * are read, written, read back, discarded and zeroed, block status is
 * walked, and `img check` (qcow2_check) runs over the result twice, the
 * second time repairing leaks. Any -errno is fine; a crash, a sanitizer
 * report or a read that does not return what was just written is not. */
#include <errno.h>
#include <stdbool.h>

#include "disk.h"
#include "fuzz_util.h"
#include "qcow2.h"

static char img[300], base_raw[300], base_q[300];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static uint8_t zero[65536];
	char err[512];

	(void)argc;
	(void)argv;
	fuzz_path(img, sizeof(img), "img.qcow2");
	fuzz_path(base_raw, sizeof(base_raw), "base.raw");
	fuzz_path(base_q, sizeof(base_q), "base.qcow2");
	memset(zero, 0x5a, sizeof(zero));
	fuzz_write_file(base_raw, zero, sizeof(zero));
	if (qcow2_create(base_q, 1 << 20, 4096, NULL, NULL, err, sizeof(err))) {
		fprintf(stderr, "fuzz_qcow2: %s\n", err);
		abort();
	}
	return 0;
}

static void cleanup(void) __attribute__((destructor));
static void cleanup(void)
{
	if (img[0]) {
		unlink(img);
		unlink(base_raw);
		unlink(base_q);
		rmdir(fuzz_dir());
	}
}

static void rw(struct disk *d, uint64_t off, size_t len, uint8_t seed)
{
	static uint8_t w[8192], r[8192];

	if (len > sizeof(w) || off > d->size || d->size - off < len)
		return;
	if (disk_pread(d, r, len, off) == 0)
		fuzz_touch(r, len);
	memset(w, seed, len);
	w[0] = (uint8_t)~seed;
	if (disk_pwrite(d, w, len, off) == 0 && disk_pread(d, r, len, off) == 0 &&
	    memcmp(w, r, len) != 0) {
		fprintf(stderr, "fuzz_qcow2: read after write at %llu+%zu differs\n",
			(unsigned long long)off, len);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct disk_open_opts o = { .l2_cache_tables = 1 };
	struct qcow2_check_result cr;
	struct disk *d = NULL;
	char err[512];
	uint64_t pnum;

	fuzz_write_file(img, data, size);
	if (disk_open(img, "qcow2", &o, &d, err, sizeof(err)) == 0) {
		uint64_t sz = d->size, off = 0;
		rw(d, 0, 512, 1);
		rw(d, 4096 - 512, 1024, 2); /* across a small cluster boundary */
		rw(d, (sz / 2) & ~511ULL, 4096, 3);
		if (sz >= 8192)
			rw(d, sz - 8192, 8192, 4);
		rw(d, 65536 - 512, 1024, 5); /* across a 64 KiB cluster boundary */
		disk_flush(d);
		if (sz >= 65536) {
			disk_discard(d, 0, 65536);
			disk_write_zeroes(d, sz - 65536, 65536);
		}
		rw(d, 512, 512, 6);
		for (int i = 0; i < 64 && off < sz; i++) {
			if (disk_block_status(d, off, sz - off, &pnum) < 0 || !pnum)
				break;
			off += pnum;
		}
		disk_close(d);
	}
	/* Read-only open: must never write. */
	o.readonly = true;
	d = NULL;
	if (disk_open(img, "qcow2", &o, &d, err, sizeof(err)) == 0) {
		uint8_t r[4096];
		if (disk_pread(d, r, d->size < sizeof(r) ? d->size : sizeof(r), 0) == 0)
			fuzz_touch(r, d->size < sizeof(r) ? d->size : sizeof(r));
		disk_close(d);
	}
	qcow2_check(img, false, &cr, NULL, NULL, err, sizeof(err));
	qcow2_check(img, true, &cr, NULL, NULL, err, sizeof(err));
	return 0;
}

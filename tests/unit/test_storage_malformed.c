/* Malformed qcow2 images: every case gives a named error (or a safe
 * read-only open), with table sizes capped before allocation and no crash.
 * Layout of a fresh 16 MiB image with 64 KiB clusters (qcow2_create):
 * cluster 0 header, 1 refcount table, 2 refcount block, 3 L1 table; the first
 * write allocates the L2 table at cluster 4 and data at cluster 5. */
#include "storage_test_util.h"

#define CS 65536ull

static char *fresh(const char *name, bool with_data)
{
	char *p = tmp_path(name);
	make_q(p, 16 << 20, CS, NULL, NULL);
	if (with_data) {
		struct disk *d = open_q(p, false, 0);
		uint8_t w[4096];
		memset(w, 0x42, sizeof(w));
		cr_assert_eq(disk_pwrite(d, w, sizeof(w), 0), 0);
		disk_close(d);
		cr_assert_eq(read64(p, 3 * CS), (4 * CS) | (1ull << 63), "expected layout");
		cr_assert_eq(read64(p, 4 * CS), (5 * CS) | (1ull << 63), "expected layout");
	}
	return p;
}

static void expect_open_fail(const char *p, bool ro, int err_expected, const char *words)
{
	struct disk_open_opts o = { .readonly = ro };
	struct disk *d = NULL;
	char err[512] = "";
	int ret = disk_open(p, "qcow2", &o, &d, err, sizeof(err));
	cr_assert_eq(ret, err_expected, "open returned %d (%s), expected %d", ret, err, err_expected);
	cr_assert_null(d);
	cr_assert(strstr(err, words), "message '%s' lacks '%s'", err, words);
	cr_assert(strstr(err, p), "message '%s' does not name the file", err);
}

Test(malformed, truncated)
{
	char *p = fresh("trunc.qcow2", false);
	cr_assert_eq(truncate(p, 3 * CS + 4), 0); /* cuts the L1 table */
	expect_open_fail(p, true, -EINVAL, "L1 table");
	cr_assert_eq(truncate(p, 40), 0);
	expect_open_fail(p, true, -EINVAL, "too short");
	free(p);
}

Test(malformed, bad_magic_version)
{
	char *p = fresh("magic.qcow2", false);
	patch32(p, 4, 4);
	expect_open_fail(p, true, -ENOTSUP, "version 4");
	patch32(p, 0, 0x12345678);
	expect_open_fail(p, true, -EINVAL, "bad magic");
	free(p);
}

Test(malformed, huge_l1_size)
{
	char *p = fresh("l1huge.qcow2", false);
	patch32(p, 36, 0xfffffff0u);
	expect_open_fail(p, true, -EFBIG, "l1_size");
	free(p);
}

Test(malformed, l1_too_small)
{
	char *p = fresh("l1small.qcow2", false);
	patch64(p, 24, 1ull << 40); /* virtual size no longer covered by L1 */
	expect_open_fail(p, true, -EINVAL, "too small");
	free(p);
}

Test(malformed, huge_refcount_table)
{
	char *p = fresh("rthuge.qcow2", false);
	patch32(p, 56, 0xffffffffu);
	expect_open_fail(p, true, -EFBIG, "refcount_table_clusters");
	patch32(p, 56, 0);
	expect_open_fail(p, true, -EFBIG, "refcount_table_clusters");
	free(p);
}

Test(malformed, misaligned_tables)
{
	char *p = fresh("misal.qcow2", false);
	patch64(p, 40, 3 * CS + 8);
	expect_open_fail(p, true, -EINVAL, "L1 table offset");
	patch64(p, 40, 3 * CS);
	patch64(p, 48, CS + 512);
	expect_open_fail(p, true, -EINVAL, "refcount table offset");
	patch64(p, 48, 0); /* in the header */
	expect_open_fail(p, true, -EINVAL, "refcount table offset");
	patch64(p, 48, 3 * CS); /* on top of the L1 table */
	expect_open_fail(p, true, -EINVAL, "overlap");
	free(p);
}

Test(malformed, cluster_bits_out_of_range)
{
	char *p = fresh("cbits.qcow2", false);
	patch32(p, 20, 8);
	expect_open_fail(p, true, -EINVAL, "cluster_bits 8");
	patch32(p, 20, 22);
	expect_open_fail(p, true, -EINVAL, "cluster_bits 22");
	patch32(p, 20, 0xffffffffu);
	expect_open_fail(p, true, -EINVAL, "cluster_bits");
	free(p);
}

Test(malformed, header_fields)
{
	char *p = fresh("hdr.qcow2", false);
	patch32(p, 100, 100); /* header_length not a multiple of 8 / < 104 */
	expect_open_fail(p, true, -EINVAL, "header_length");
	patch32(p, 100, 1u << 30);
	expect_open_fail(p, true, -EINVAL, "header_length");
	patch32(p, 100, 112);
	patch32(p, 96, 7);
	expect_open_fail(p, true, -EINVAL, "refcount_order");
	patch32(p, 96, 4);
	/* a header extension whose length runs off the cluster */
	patch32(p, 112, 0x1234);
	patch32(p, 116, 0x7fffffff);
	expect_open_fail(p, true, -EINVAL, "header extension");
	free(p);
}

Test(malformed, feature_bits)
{
	char *p = fresh("feat.qcow2", false);
	patch64(p, 72, 1ull << 10);
	expect_open_fail(p, true, -ENOTSUP, "unknown incompatible feature bit 10");
	patch64(p, 72, 1ull << 2);
	expect_open_fail(p, true, -ENOTSUP, "external data file");
	patch64(p, 72, 1ull << 4);
	expect_open_fail(p, true, -ENOTSUP, "extended L2");
	patch64(p, 72, 1ull << 3); /* compression type bit without the field */
	expect_open_fail(p, true, -ENOTSUP, "compression type");
	patch64(p, 72, 0);
	patch32(p, 32, 1);
	expect_open_fail(p, true, -ENOTSUP, "encrypted");
	patch32(p, 32, 2);
	expect_open_fail(p, false, -ENOTSUP, "encrypted");
	free(p);
}

Test(malformed, corrupt_and_dirty_bits)
{
	char *p = fresh("corrupt.qcow2", true);
	patch64(p, 72, 1ull << 1);
	expect_open_fail(p, false, -EUCLEAN, "marked corrupt");
	struct disk *d = open_q(p, true, 0); /* read-only is safe */
	uint8_t r[16];
	cr_assert_eq(disk_pread(d, r, 16, 0), 0);
	cr_assert_eq(r[0], 0x42);
	disk_close(d);
	patch64(p, 72, 1ull << 0);
	expect_open_fail(p, false, -EUCLEAN, "dirty bit");
	d = open_q(p, true, 0);
	disk_close(d);
	free(p);
}

Test(malformed, l2_entry_past_eof)
{
	char *p = fresh("l2eof.qcow2", true);
	patch64(p, 4 * CS, (1ull << 40) | (1ull << 63));
	struct disk *d = open_q(p, false, 0);
	uint8_t r[512];
	cr_assert_eq(disk_pread(d, r, sizeof(r), 0), -EIO);
	cr_assert(strstr(d->errmsg, "past end of file"), "%s", d->errmsg);
	memset(r, 1, sizeof(r));
	cr_assert_eq(disk_pwrite(d, r, sizeof(r), 0), -EIO);
	disk_close(d);
	free(p);
}

Test(malformed, l2_entry_into_metadata)
{
	static const struct {
		uint64_t off;
		const char *why;
	} cases[] = {
		{ 3 * CS, "L1 table" }, { 1 * CS, "refcount table" }, { 0x200, "misaligned" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = fresh("l2meta.qcow2", true);
		patch64(p, 4 * CS, cases[i].off | (1ull << 63));
		struct disk *d = open_q(p, false, 0);
		uint8_t r[512];
		cr_assert_eq(disk_pread(d, r, sizeof(r), 0), -EIO);
		cr_assert(strstr(d->errmsg, cases[i].why), "%s", d->errmsg);
		/* a write must not land in the metadata */
		memset(r, 0xff, sizeof(r));
		cr_assert_eq(disk_pwrite(d, r, sizeof(r), 0), -EIO);
		disk_close(d);
		cr_assert_eq(read64(p, 3 * CS), (4 * CS) | (1ull << 63), "L1 intact");
		cr_assert_eq(read64(p, CS), 2 * CS, "refcount table intact");
		free(p);
	}
	/* L1 entry pointing into the header */
	char *p = fresh("l1meta.qcow2", true);
	patch64(p, 3 * CS, 0 | 512 | (1ull << 63));
	struct disk *d = open_q(p, true, 0);
	uint8_t r[512];
	cr_assert_eq(disk_pread(d, r, sizeof(r), 0), -EIO);
	disk_close(d);
	free(p);
}

Test(malformed, compressed_entry_bad)
{
	char *p = fresh("compbad.qcow2", true);
	/* compressed descriptor pointing past EOF, then into the header */
	patch64(p, 4 * CS, (1ull << 62) | (1ull << 40));
	struct disk *d = open_q(p, true, 0);
	uint8_t r[512];
	cr_assert_eq(disk_pread(d, r, sizeof(r), 0), -EIO);
	disk_close(d);
	/* valid location but garbage data: does not decompress */
	patch64(p, 4 * CS, (1ull << 62) | (5 * CS));
	d = open_q(p, true, 0);
	cr_assert_eq(disk_pread(d, r, sizeof(r), 0), -EIO);
	cr_assert(strstr(d->errmsg, "decompress"), "%s", d->errmsg);
	disk_close(d);
	free(p);
}

Test(malformed, bad_refcount_table_entry)
{
	char *p = fresh("rtbad.qcow2", false);
	patch64(p, CS, 2 * CS + 3); /* misaligned refcount block */
	struct disk *d = open_q(p, false, 0);
	uint8_t w[512] = { 1 };
	cr_assert_eq(disk_pwrite(d, w, sizeof(w), 0), -EIO);
	cr_assert(strstr(d->errmsg, "refcount"), "%s", d->errmsg);
	disk_close(d);
	free(p);
}

Test(malformed, backing_loop_and_depth)
{
	char *a = tmp_path("loop-a.qcow2"), *b = tmp_path("loop-b.qcow2");
	make_q(a, 1 << 20, CS, NULL, NULL);
	make_q(b, 1 << 20, CS, "loop-a.qcow2", "qcow2");
	char err[512];
	cr_assert_eq(qcow2_set_backing(a, "loop-b.qcow2", "qcow2", err, sizeof(err)), 0, "%s", err);
	expect_open_fail(a, true, -ELOOP, "loop");
	cr_assert_eq(qcow2_set_backing(a, "loop-a.qcow2", "qcow2", err, sizeof(err)), 0, "%s", err);
	expect_open_fail(a, true, -ELOOP, "loop");
	/* chain deeper than the cap */
	char name[64], prev[64] = "";
	char *last = NULL;
	for (int i = 0; i <= DISK_MAX_CHAIN + 1; i++) {
		snprintf(name, sizeof(name), "deep%d.qcow2", i);
		free(last);
		last = tmp_path(name);
		make_q(last, 1 << 20, CS, i ? prev : NULL, i ? "qcow2" : NULL);
		snprintf(prev, sizeof(prev), "%s", name);
	}
	expect_open_fail(last, true, -ELOOP, "deeper");
	free(last);
	free(a);
	free(b);
}

Test(malformed, backing_format_required)
{
	char *base = tmp_path("nofmt-base.raw"), *top = tmp_path("nofmt-top.qcow2");
	char err[512];
	cr_assert_eq(raw_create(base, 1 << 20, err, sizeof(err)), 0);
	make_q(top, 1 << 20, CS, "nofmt-base.raw", "raw");
	/* turn the backing-format extension into an unknown one */
	patch32(top, 112, 0x12345678);
	expect_open_fail(top, true, -EINVAL, "never probed");
	struct disk_open_opts o = { .readonly = true, .backing_format = "raw" };
	struct disk *d;
	cr_assert_eq(disk_open(top, "qcow2", &o, &d, err, sizeof(err)), 0, "%s", err);
	cr_assert_str_eq(d->backing->format, "raw");
	disk_close(d);
	/* backing file name outside the header cluster */
	patch32(top, 16, 5000);
	expect_open_fail(top, true, -EINVAL, "backing file name");
	/* no format at all for the top image */
	o.backing_format = NULL;
	cr_assert_eq(disk_open(top, NULL, &o, &d, err, sizeof(err)), -EINVAL);
	free(base);
	free(top);
}

/* Random corruption of the metadata clusters: never a crash, never
 * unbounded memory (ASan/UBSan builds run this too). */
Test(malformed, bit_flip_fuzz)
{
	char *p = fresh("fuzz-orig.qcow2", true);
	char *q = tmp_path("fuzz.qcow2");
	int fd = open(p, O_RDONLY);
	static uint8_t img[6 * 65536];
	ssize_t n = pread(fd, img, sizeof(img), 0);
	close(fd);
	cr_assert_gt(n, 5 * 65536);
	uint64_t s = 88172645463325252ull;
	static uint8_t buf[1 << 20];
	for (int iter = 0; iter < 300; iter++) {
		static uint8_t m[6 * 65536];
		memcpy(m, img, (size_t)n);
		for (int k = 0; k < 4; k++) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			/* aim at header, tables and the L2 table */
			static const uint32_t base[] = { 0, 65536, 2 * 65536, 3 * 65536, 4 * 65536 };
			uint32_t off = base[s % 5] + (uint32_t)((s >> 8) % 128);
			m[off] ^= (uint8_t)(1u << ((s >> 20) % 8));
		}
		int wfd = open(q, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		cr_assert_eq(write(wfd, m, (size_t)n), n);
		close(wfd);
		struct disk_open_opts o = { .readonly = (iter & 1) };
		struct disk *d;
		char err[512];
		if (disk_open(q, "qcow2", &o, &d, err, sizeof(err)) == 0) {
			uint64_t len = d->size < sizeof(buf) ? d->size : sizeof(buf);
			(void)disk_pread(d, buf, len, 0);
			if (!d->readonly)
				(void)disk_pwrite(d, buf, 4096, 0);
			disk_close(d);
		}
		struct qcow2_check_result r;
		(void)qcow2_check(q, false, &r, NULL, NULL, err, sizeof(err));
	}
	free(p);
	free(q);
}

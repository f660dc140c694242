/* qcow2 read/write behaviour: allocation, COW from a backing file, L2 cache
 * eviction, refcount table growth, discard, zero clusters, compressed reads. */
#include <sys/stat.h>

#include "storage_test_util.h"

Test(qcow2, allocate_and_read_back)
{
	char *p = tmp_path("alloc.qcow2");
	make_q(p, 16 << 20, 65536, NULL, NULL);
	struct disk *d = open_q(p, false, 0);
	cr_assert_eq(d->size, 16u << 20);
	uint8_t w[200000], r[200000];
	fill_pat(w, sizeof(w), 1);
	/* unaligned, crossing clusters */
	cr_assert_eq(disk_pwrite(d, w, sizeof(w), 12345), 0);
	cr_assert_eq(disk_pread(d, r, sizeof(r), 12345), 0);
	cr_assert_eq(memcmp(w, r, sizeof(w)), 0);
	/* untouched parts of allocated clusters read zero */
	cr_assert_eq(disk_pread(d, r, 12345, 0), 0);
	for (int i = 0; i < 12345; i++)
		cr_assert_eq(r[i], 0);
	/* rewrite in place */
	fill_pat(w, 4096, 2);
	cr_assert_eq(disk_pwrite(d, w, 4096, 65536), 0);
	cr_assert_eq(disk_pread(d, r, 4096, 65536), 0);
	cr_assert_eq(memcmp(w, r, 4096), 0);
	/* past the end */
	cr_assert_eq(disk_pread(d, r, 512, (16 << 20) - 256), -EINVAL);
	cr_assert_eq(disk_flush(d), 0);
	disk_close(d);
	expect_check(p, 0, 0);
	d = open_q(p, true, 0);
	cr_assert_eq(disk_pread(d, r, 4096, 65536), 0);
	cr_assert_eq(memcmp(w, r, 4096), 0);
	cr_assert_eq(disk_pwrite(d, w, 512, 0), -EROFS);
	disk_close(d);
	free(p);
}

Test(qcow2, cow_from_backing)
{
	char *b = tmp_path("cow-base.qcow2"), *t = tmp_path("cow-top.qcow2");
	make_q(b, 4 << 20, 65536, NULL, NULL);
	struct disk *d = open_q(b, false, 0);
	static uint8_t base[4 << 20], r[4 << 20];
	fill_pat(base, sizeof(base), 3);
	cr_assert_eq(disk_pwrite(d, base, sizeof(base), 0), 0);
	disk_close(d);
	make_q(t, 0, 4096, "cow-base.qcow2", "qcow2"); /* relative name, size from base */
	d = open_q(t, false, 0);
	cr_assert_eq(d->size, 4u << 20);
	cr_assert(d->backing && d->backing->readonly);
	uint8_t w[1000];
	memset(w, 0xee, sizeof(w));
	cr_assert_eq(disk_pwrite(d, w, sizeof(w), 5000), 0); /* partial cluster: COW */
	memcpy(base + 5000, w, sizeof(w));
	cr_assert_eq(disk_pread(d, r, sizeof(r), 0), 0);
	cr_assert_eq(memcmp(base, r, sizeof(r)), 0);
	uint64_t n;
	int st = disk_block_status(d, 4096, 4096, &n);
	cr_assert_eq(st, DISK_BS_ALLOCATED);
	st = disk_block_status(d, 8192, 65536, &n);
	cr_assert_eq(st, 0); /* from the backing file */
	/* discard with a backing file: must not expose the base */
	cr_assert_eq(disk_discard(d, 4096, 4096), 0);
	cr_assert_eq(disk_pread(d, r, 4096, 4096), 0);
	for (int i = 0; i < 4096; i++)
		cr_assert_eq(r[i], 0);
	disk_close(d);
	expect_check(t, 0, 0);
	expect_check(b, 0, 0);
	free(b);
	free(t);
}

Test(qcow2, l2_cache_eviction_many_clusters)
{
	char *p = tmp_path("evict.qcow2");
	/* 512 B clusters: 64 entries per L2 table; 2-table cache, 3000 clusters
	 * spread over ~47 L2 tables, written in an interleaved order */
	make_q(p, 8 << 20, 512, NULL, NULL);
	struct disk *d = open_q(p, false, 2);
	uint8_t w[512], r[512];
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < 3000; i++) {
			int c = (i * 977) % 3000;
			fill_pat(w, 512, (uint64_t)c);
			if (pass == 0)
				cr_assert_eq(disk_pwrite(d, w, 512, (uint64_t)c * 2048), 0, "%s", d->errmsg);
			else {
				cr_assert_eq(disk_pread(d, r, 512, (uint64_t)c * 2048), 0);
				cr_assert_eq(memcmp(w, r, 512), 0, "cluster %d", c);
			}
		}
	}
	disk_close(d);
	expect_check(p, 0, 0);
	d = open_q(p, true, 3);
	for (int c = 0; c < 3000; c += 7) {
		fill_pat(w, 512, (uint64_t)c);
		cr_assert_eq(disk_pread(d, r, 512, (uint64_t)c * 2048), 0);
		cr_assert_eq(memcmp(w, r, 512), 0, "reopened cluster %d", c);
	}
	disk_close(d);
	free(p);
}

Test(qcow2, refcount_table_growth)
{
	char *p = tmp_path("grow.qcow2");
	/* 512 B clusters: one refcount block covers 256 clusters (128 KiB), one
	 * table cluster 64 blocks (8 MiB); 20 MiB of data must grow the table */
	make_q(p, 64 << 20, 512, NULL, NULL);
	uint64_t rt0 = read64(p, 48);
	struct disk *d = open_q(p, false, 0);
	static uint8_t w[1 << 20], r[1 << 20];
	for (int i = 0; i < 20; i++) {
		fill_pat(w, sizeof(w), (uint64_t)i);
		cr_assert_eq(disk_pwrite(d, w, sizeof(w), (uint64_t)i * (3 << 20) % (60 << 20)), 0,
			     "%s", d->errmsg);
	}
	cr_assert_eq(disk_flush(d), 0);
	for (int i = 0; i < 20; i++) {
		fill_pat(w, sizeof(w), (uint64_t)i);
		cr_assert_eq(disk_pread(d, r, sizeof(r), (uint64_t)i * (3 << 20) % (60 << 20)), 0);
		cr_assert_eq(memcmp(w, r, sizeof(w)), 0, "block %d", i);
	}
	disk_close(d);
	cr_assert_neq(read64(p, 48), rt0, "refcount table moved");
	int fd = open(p, O_RDONLY);
	uint32_t rtc;
	cr_assert_eq(pread(fd, &rtc, 4, 56), 4);
	close(fd);
	cr_assert_gt(be32toh(rtc), 1u);
	expect_check(p, 0, 0);
	free(p);
}

Test(qcow2, discard_frees_and_reuses)
{
	char *p = tmp_path("discard.qcow2");
	make_q(p, 8 << 20, 65536, NULL, NULL);
	struct disk *d = open_q(p, false, 0);
	static uint8_t w[1 << 20], r[1 << 20];
	fill_pat(w, sizeof(w), 9);
	cr_assert_eq(disk_pwrite(d, w, sizeof(w), 0), 0);
	cr_assert_eq(disk_flush(d), 0);
	struct stat st1, st2;
	cr_assert_eq(stat(p, &st1), 0);
	/* partial clusters at the ends are left alone */
	cr_assert_eq(disk_discard(d, 1000, (1 << 20) - 2000), 0);
	cr_assert_eq(disk_pread(d, r, sizeof(r), 0), 0);
	cr_assert_eq(memcmp(r, w, 1000), 0);
	for (size_t i = 65536; i < (1 << 20) - 65536; i++)
		cr_assert_eq(r[i], 0, "byte %zu", i);
	uint64_t n;
	cr_assert_eq(disk_block_status(d, 65536, 65536, &n), DISK_BS_ZERO);
	cr_assert_eq(disk_flush(d), 0);
	/* freed clusters are reused: writing elsewhere does not grow the file */
	cr_assert_eq(disk_pwrite(d, w, 14 * 65536, 4 << 20), 0);
	cr_assert_eq(disk_flush(d), 0);
	cr_assert_eq(stat(p, &st2), 0);
	cr_assert_leq(st2.st_size, st1.st_size + 65536, "file grew from %ld to %ld",
		      (long)st1.st_size, (long)st2.st_size);
	disk_close(d);
	expect_check(p, 0, 0);
	free(p);
}

Test(qcow2, zero_clusters)
{
	char *b = tmp_path("zero-base.qcow2"), *t = tmp_path("zero-top.qcow2");
	make_q(b, 2 << 20, 65536, NULL, NULL);
	struct disk *d = open_q(b, false, 0);
	static uint8_t w[2 << 20], r[2 << 20];
	memset(w, 0x5a, sizeof(w));
	cr_assert_eq(disk_pwrite(d, w, sizeof(w), 0), 0);
	disk_close(d);
	make_q(t, 2 << 20, 65536, b, "qcow2");
	d = open_q(t, false, 0);
	/* cluster-aligned zeroes over a backing file: zero flag, no data */
	cr_assert_eq(disk_write_zeroes(d, 65536, 3 * 65536), 0);
	/* unaligned: partial clusters written as zero bytes */
	cr_assert_eq(disk_write_zeroes(d, 600000, 1000), 0);
	cr_assert_eq(disk_pread(d, r, sizeof(r), 0), 0);
	memset(w + 65536, 0, 3 * 65536);
	memset(w + 600000, 0, 1000);
	cr_assert_eq(memcmp(w, r, sizeof(w)), 0);
	uint64_t n;
	cr_assert_eq(disk_block_status(d, 65536, 3 * 65536, &n), DISK_BS_ALLOCATED | DISK_BS_ZERO);
	cr_assert_eq(n, 3 * 65536u);
	/* writing into a zero cluster allocates it, rest stays zero */
	memset(w + 70000, 0x77, 10);
	cr_assert_eq(disk_pwrite(d, w + 70000, 10, 70000), 0);
	cr_assert_eq(disk_pread(d, r, sizeof(r), 0), 0);
	cr_assert_eq(memcmp(w, r, sizeof(w)), 0);
	disk_close(d);
	expect_check(t, 0, 0);
	free(b);
	free(t);
}

Test(qcow2, compressed_read)
{
	if (system("command -v qemu-img >/dev/null 2>&1") != 0)
		cr_skip_test("qemu-img not installed");
	char *raw = tmp_path("comp-src.raw"), *q = tmp_path("comp.qcow2");
	static uint8_t w[1 << 20], r[1 << 20];
	for (size_t i = 0; i < sizeof(w); i++)
		w[i] = (uint8_t)("compressible text "[i % 18] + (i >> 16));
	FILE *f = fopen(raw, "wb");
	cr_assert(f);
	cr_assert_eq(fwrite(w, 1, sizeof(w), f), sizeof(w));
	fclose(f);
	char cmd[512];
	for (int z = 0; z < 2; z++) {
		snprintf(cmd, sizeof(cmd), "qemu-img convert -q -c -f raw -O qcow2 -o compression_type=%s %s %s",
			 z ? "zstd" : "zlib", raw, q);
		cr_assert_eq(system(cmd), 0);
		struct disk *d = open_q(q, false, 0);
		struct qcow2_info qi;
		cr_assert_eq(qcow2_get_info(d, &qi), 0);
		cr_assert_eq(qi.compression_type, z);
		cr_assert_eq(disk_pread(d, r, sizeof(r), 0), 0, "%s", d->errmsg);
		cr_assert_eq(memcmp(w, r, sizeof(w)), 0);
		/* overwrite part of a compressed cluster: COW, compressed space freed */
		memset(w + 70000, 1, 100);
		cr_assert_eq(disk_pwrite(d, w + 70000, 100, 70000), 0);
		cr_assert_eq(disk_pread(d, r, sizeof(r), 0), 0);
		cr_assert_eq(memcmp(w, r, sizeof(w)), 0);
		disk_close(d);
		expect_check(q, 0, 0);
		for (size_t i = 70000; i < 70100; i++)
			w[i] = (uint8_t)("compressible text "[i % 18] + (i >> 16));
	}
	free(raw);
	free(q);
}

Test(qcow2, cache_modes)
{
	const char *modes[] = { "writethrough", "none", "unsafe", "writeback" };
	for (int m = 0; m < 4; m++) {
		char *p = tmp_path("cache.qcow2");
		make_q(p, 4 << 20, 65536, NULL, NULL);
		struct disk_open_opts o = { 0 };
		cr_assert_eq(disk_parse_cache_mode(modes[m], &o.cache), 0);
		struct disk *d;
		char err[256];
		int ret = disk_open(p, "qcow2", &o, &d, err, sizeof(err));
		if (ret && o.cache == DISK_CACHE_NONE)
			continue; /* file system without O_DIRECT */
		cr_assert_eq(ret, 0, "%s: %s", modes[m], err);
		uint8_t w[3000], r[3000];
		fill_pat(w, sizeof(w), (uint64_t)m);
		cr_assert_eq(disk_pwrite(d, w, sizeof(w), 777), 0, "%s", modes[m]);
		cr_assert_eq(disk_pread(d, r, sizeof(r), 777), 0);
		cr_assert_eq(memcmp(w, r, sizeof(w)), 0, "%s", modes[m]);
		cr_assert_eq(disk_flush(d), 0);
		disk_close(d);
		expect_check(p, 0, 0);
		free(p);
	}
	enum disk_cache_mode c;
	cr_assert_eq(disk_parse_cache_mode("bogus", &c), -EINVAL);
}

Test(qcow2, parse_size)
{
	uint64_t v;
	cr_assert_eq(disk_parse_size("64M", &v), 0);
	cr_assert_eq(v, 64u << 20);
	cr_assert_eq(disk_parse_size("10G", &v), 0);
	cr_assert_eq(v, 10ull << 30);
	cr_assert_eq(disk_parse_size("512", &v), 0);
	cr_assert_eq(v, 512u);
	cr_assert_eq(disk_parse_size("1KiB", &v), 0);
	cr_assert_eq(v, 1024u);
	cr_assert_eq(disk_parse_size("12X", &v), -EINVAL);
	cr_assert_eq(disk_parse_size("-1", &v), -EINVAL);
	cr_assert_eq(disk_parse_size("99999999999999999P", &v), -ERANGE);
}

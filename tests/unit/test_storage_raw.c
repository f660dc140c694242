/* raw images: sparse create, read/write, discard punches holes, write_zeroes,
 * block status, O_DIRECT bounce for unaligned requests. */
#include <sys/stat.h>

#include "storage_test_util.h"

static struct disk *open_raw(const char *p, enum disk_cache_mode c)
{
	struct disk_open_opts o = { .cache = c };
	struct disk *d = NULL;
	char err[256];
	if (disk_open(p, "raw", &o, &d, err, sizeof(err)))
		return NULL;
	return d;
}

Test(raw, sparse_discard_zeroes)
{
	char *p = tmp_path("r.raw");
	char err[256];
	cr_assert_eq(raw_create(p, 8 << 20, err, sizeof(err)), 0);
	struct stat st;
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_eq(st.st_size, 8 << 20);
	cr_assert_lt(st.st_blocks, 64, "created sparse");
	struct disk *d = open_raw(p, DISK_CACHE_WRITEBACK);
	cr_assert(d);
	static uint8_t w[1 << 20], r[1 << 20];
	fill_pat(w, sizeof(w), 5);
	cr_assert_eq(disk_pwrite(d, w, sizeof(w), 1 << 20), 0);
	cr_assert_eq(disk_flush(d), 0);
	uint64_t n;
	cr_assert_eq(disk_block_status(d, 0, 1 << 20, &n), DISK_BS_ZERO);
	cr_assert_eq(disk_block_status(d, 1 << 20, 1 << 20, &n), DISK_BS_ALLOCATED);
	cr_assert_eq(stat(p, &st), 0);
	long before = (long)st.st_blocks;
	cr_assert_eq(disk_discard(d, 1 << 20, 512 << 10), 0);
	cr_assert_eq(stat(p, &st), 0);
	cr_assert_lt((long)st.st_blocks, before, "discard punched a hole");
	cr_assert_eq(disk_write_zeroes(d, (1 << 20) + (600 << 10), 4096), 0);
	cr_assert_eq(disk_pread(d, r, sizeof(r), 1 << 20), 0);
	memset(w, 0, 512 << 10);
	memset(w + (600 << 10), 0, 4096);
	cr_assert_eq(memcmp(w, r, sizeof(w)), 0);
	cr_assert_eq(disk_pwrite(d, w, 10, (8 << 20) - 5), -EINVAL);
	disk_close(d);
	free(p);
}

Test(raw, odirect_unaligned)
{
	char *p = tmp_path("rd.raw");
	char err[256];
	cr_assert_eq(raw_create(p, 1 << 20, err, sizeof(err)), 0);
	struct disk *d = open_raw(p, DISK_CACHE_NONE);
	if (!d)
		cr_skip_test("no O_DIRECT on this file system");
	uint8_t w[777], r[777];
	fill_pat(w, sizeof(w), 7);
	cr_assert_eq(disk_pwrite(d, w, sizeof(w), 4095), 0);
	cr_assert_eq(disk_pread(d, r, sizeof(r), 4095), 0);
	cr_assert_eq(memcmp(w, r, sizeof(w)), 0);
	disk_close(d);
	free(p);
}

Test(raw, format_is_required)
{
	struct disk *d;
	char err[256];
	cr_assert_eq(disk_open("/nonexistent", NULL, NULL, &d, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "never probed"));
	cr_assert_eq(disk_open("/nonexistent", "vmdk", NULL, &d, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "/nonexistent"));
}

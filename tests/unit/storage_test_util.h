/* Helpers shared by the storage unit tests (header-only, static). */
#ifndef VMDECK_TEST_STORAGE_UTIL_H
#define VMDECK_TEST_STORAGE_UTIL_H

#include <criterion/criterion.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disk.h"
#include "qcow2.h"
#include "raw.h"

static inline char *tmp_path(const char *name)
{
	static char dir[64];
	if (!dir[0]) {
		snprintf(dir, sizeof(dir), "/tmp/vmdeck-ut.XXXXXX");
		cr_assert(mkdtemp(dir));
	}
	char *p;
	cr_assert(asprintf(&p, "%s/%s", dir, name) > 0);
	return p;
}

static inline struct disk *open_q(const char *path, bool ro, unsigned l2tables)
{
	struct disk_open_opts o = { .readonly = ro, .l2_cache_tables = l2tables };
	struct disk *d = NULL;
	char err[512];
	int ret = disk_open(path, "qcow2", &o, &d, err, sizeof(err));
	cr_assert_eq(ret, 0, "open %s: %s", path, err);
	return d;
}

static inline void make_q(const char *path, uint64_t size, uint64_t cs, const char *backing,
			  const char *bfmt)
{
	char err[512];
	int ret = qcow2_create(path, size, cs, backing, bfmt, err, sizeof(err));
	cr_assert_eq(ret, 0, "create %s: %s", path, err);
}

static inline void fill_pat(uint8_t *buf, size_t len, uint64_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)((seed * 131 + i * 7 + (i >> 9)) & 0xff);
}

static inline void expect_check(const char *path, uint64_t corruptions, uint64_t leaks)
{
	struct qcow2_check_result r;
	char err[512];
	int ret = qcow2_check(path, false, &r, NULL, NULL, err, sizeof(err));
	cr_assert_eq(ret, 0, "check %s: %s", path, err);
	cr_expect_eq(r.corruptions, corruptions, "%s: corruptions %lu", path,
		     (unsigned long)r.corruptions);
	cr_expect_eq(r.leaks, leaks, "%s: leaks %lu", path, (unsigned long)r.leaks);
}

static inline void patch(const char *path, off_t off, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY);
	cr_assert(fd >= 0);
	cr_assert_eq(pwrite(fd, data, len, off), (ssize_t)len);
	close(fd);
}

static inline void patch32(const char *path, off_t off, uint32_t v)
{
	v = htobe32(v);
	patch(path, off, &v, 4);
}

static inline void patch64(const char *path, off_t off, uint64_t v)
{
	v = htobe64(v);
	patch(path, off, &v, 8);
}

static inline uint64_t read64(const char *path, off_t off)
{
	int fd = open(path, O_RDONLY);
	uint64_t v = 0;
	cr_assert(fd >= 0);
	cr_assert_eq(pread(fd, &v, 8, off), 8);
	close(fd);
	return be64toh(v);
}

#endif

/* Host file access for image formats: full transfers, EINTR and short-I/O
 * loops, and O_DIRECT (cache=none) alignment via bounce buffers, so raw and
 * qcow2 can issue byte-granular requests in every cache mode. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk_internal.h"

#define BFILE_DIRECT_ALIGN 4096u /* safe for 512e and 4Kn devices */

int bfile_open(struct bfile *f, const char *path, bool readonly, enum disk_cache_mode cache,
	       char *err, size_t errlen)
{
	int flags = (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC;
	if (cache == DISK_CACHE_NONE)
		flags |= O_DIRECT;
	if (cache == DISK_CACHE_WRITETHROUGH)
		flags |= O_DSYNC;
	f->fd = open(path, flags);
	if (f->fd < 0) {
		int e = errno;
		if (e == EINVAL && cache == DISK_CACHE_NONE)
			disk_seterr(err, errlen, "%s: file system does not support O_DIRECT (cache=none)",
				    path);
		else
			disk_seterr(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	struct stat st;
	if (fstat(f->fd, &st) < 0 || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) {
		disk_seterr(err, errlen, "%s: not a regular file or block device", path);
		close(f->fd);
		f->fd = -1;
		return -EINVAL;
	}
	f->direct = cache == DISK_CACHE_NONE;
	f->unsafe = cache == DISK_CACHE_UNSAFE;
	f->align = f->direct ? BFILE_DIRECT_ALIGN : 1;
	f->path = path;
	return 0;
}

void bfile_close(struct bfile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}

static bool iov_aligned(const struct iovec *iov, int iovcnt, uint32_t a)
{
	for (int i = 0; i < iovcnt; i++) {
		if (((uintptr_t)iov[i].iov_base | iov[i].iov_len) & (a - 1))
			return false;
	}
	return true;
}

/* Plain vectored loops. Reads stop at EOF and zero the rest. */
static int raw_xfer(struct bfile *f, const struct iovec *iov0, int iovcnt, uint64_t off, bool wr)
{
	struct iovec stackv[16];
	struct iovec *v = stackv;
	if (iovcnt > 16) {
		v = malloc(sizeof(*v) * (size_t)iovcnt);
		if (!v)
			return -ENOMEM;
	}
	memcpy(v, iov0, sizeof(*v) * (size_t)iovcnt);
	struct iovec *cur = v;
	int cnt = iovcnt;
	int ret = 0;
	while (cnt > 0) {
		if (cur->iov_len == 0) {
			cur++;
			cnt--;
			continue;
		}
		ssize_t n = wr ? pwritev(f->fd, cur, cnt > 1024 ? 1024 : cnt, (off_t)off)
			       : preadv(f->fd, cur, cnt > 1024 ? 1024 : cnt, (off_t)off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (n == 0) {
			if (wr) {
				ret = -EIO;
				break;
			}
			for (int i = 0; i < cnt; i++)
				memset(cur[i].iov_base, 0, cur[i].iov_len);
			break;
		}
		off += (uint64_t)n;
		size_t left = (size_t)n;
		while (cnt > 0 && left >= cur->iov_len) {
			left -= cur->iov_len;
			cur++;
			cnt--;
		}
		if (cnt > 0 && left) {
			cur->iov_base = (char *)cur->iov_base + left;
			cur->iov_len -= left;
		}
	}
	if (v != stackv)
		free(v);
	return ret;
}

/* O_DIRECT with an unaligned request: go through an aligned bounce buffer
 * (read-modify-write for writes; single-threaded per disk, so no race). */
static int bounce_xfer(struct bfile *f, const struct iovec *iov, int iovcnt, uint64_t off, bool wr)
{
	size_t len = iov_size(iov, iovcnt);
	uint64_t a = f->align;
	uint64_t start = off & ~(a - 1);
	uint64_t end;
	if (__builtin_add_overflow(off, (uint64_t)len, &end) || end > UINT64_MAX - a)
		return -EINVAL;
	end = (end + a - 1) & ~(a - 1);
	size_t blen = (size_t)(end - start);
	void *buf;
	if (posix_memalign(&buf, a, blen))
		return -ENOMEM;
	struct iovec bv = { buf, blen };
	int ret = 0;
	if (!wr || start != off || end != off + len)
		ret = raw_xfer(f, &bv, 1, start, false);
	if (!ret) {
		if (wr) {
			iov_to_buf(iov, iovcnt, 0, (char *)buf + (off - start), len);
			ret = raw_xfer(f, &bv, 1, start, true);
		} else {
			iov_from_buf(iov, iovcnt, 0, (char *)buf + (off - start), len);
		}
	}
	free(buf);
	return ret;
}

static int xfer(struct bfile *f, const struct iovec *iov, int iovcnt, uint64_t off, bool wr)
{
	if (off > INT64_MAX || iov_size(iov, iovcnt) > INT64_MAX - off)
		return -EINVAL;
	if (f->direct && ((off & (f->align - 1)) || !iov_aligned(iov, iovcnt, f->align)))
		return bounce_xfer(f, iov, iovcnt, off, wr);
	return raw_xfer(f, iov, iovcnt, off, wr);
}

int bfile_preadv(struct bfile *f, const struct iovec *iov, int iovcnt, uint64_t off)
{
	return xfer(f, iov, iovcnt, off, false);
}

int bfile_pwritev(struct bfile *f, const struct iovec *iov, int iovcnt, uint64_t off)
{
	return xfer(f, iov, iovcnt, off, true);
}

int bfile_pread(struct bfile *f, void *buf, size_t len, uint64_t off)
{
	struct iovec v = { buf, len };
	return xfer(f, &v, 1, off, false);
}

int bfile_pwrite(struct bfile *f, const void *buf, size_t len, uint64_t off)
{
	struct iovec v = { (void *)buf, len };
	return xfer(f, &v, 1, off, true);
}

int bfile_sync(struct bfile *f)
{
	if (f->unsafe)
		return 0;
	while (fdatasync(f->fd) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

int bfile_size(struct bfile *f, uint64_t *size)
{
	off_t end = lseek(f->fd, 0, SEEK_END);
	if (end < 0)
		return -errno;
	*size = (uint64_t)end;
	return 0;
}

int bfile_truncate(struct bfile *f, uint64_t size)
{
	if (size > INT64_MAX)
		return -EFBIG;
	if (ftruncate(f->fd, (off_t)size) < 0)
		return -errno;
	return 0;
}

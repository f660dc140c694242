/* raw images: the file is the disk. Sparse: discard and write_zeroes punch
 * holes (fallocate PUNCH_HOLE|KEEP_SIZE), block_status uses SEEK_DATA. */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disk_internal.h"
#include "raw.h"

struct raw_disk {
	struct disk disk;
	struct bfile f;
	bool writethrough;
};

#define RAW(d) ((struct raw_disk *)(d))

static int raw_preadv(struct disk *d, const struct iovec *iov, int iovcnt, uint64_t off)
{
	return bfile_preadv(&RAW(d)->f, iov, iovcnt, off);
}

static int raw_pwritev(struct disk *d, const struct iovec *iov, int iovcnt, uint64_t off)
{
	return bfile_pwritev(&RAW(d)->f, iov, iovcnt, off);
}

static int raw_flush(struct disk *d)
{
	return bfile_sync(&RAW(d)->f);
}

static int punch(struct raw_disk *r, uint64_t off, uint64_t len)
{
	if (fallocate(r->f.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) < 0)
		return -errno;
	return 0;
}

static int raw_discard(struct disk *d, uint64_t off, uint64_t len)
{
	int ret = punch(RAW(d), off, len);
	/* discard is advisory: a file system without hole punching keeps data */
	return ret == -EOPNOTSUPP ? 0 : ret;
}

static int raw_write_zeroes(struct disk *d, uint64_t off, uint64_t len)
{
	struct raw_disk *r = RAW(d);
	int ret = punch(r, off, len);
	if (ret != -EOPNOTSUPP)
		return ret;
	/* no hole punching: write zero buffers */
	size_t chunk = 1u << 20;
	void *z;
	if (posix_memalign(&z, 4096, chunk))
		return -ENOMEM;
	memset(z, 0, chunk);
	ret = 0;
	while (len && !ret) {
		size_t n = len < chunk ? (size_t)len : chunk;
		ret = bfile_pwrite(&r->f, z, n, off);
		off += n;
		len -= n;
	}
	free(z);
	return ret;
}

static int raw_block_status(struct disk *d, uint64_t off, uint64_t len, uint64_t *pnum)
{
	struct raw_disk *r = RAW(d);
	off_t data = lseek(r->f.fd, (off_t)off, SEEK_DATA);
	if (data < 0) {
		if (errno == ENXIO) { /* only a hole up to EOF */
			*pnum = len;
			return DISK_BS_ZERO;
		}
		*pnum = len; /* no SEEK_DATA: say data */
		return DISK_BS_ALLOCATED;
	}
	if ((uint64_t)data > off) {
		uint64_t n = (uint64_t)data - off;
		*pnum = n < len ? n : len;
		return DISK_BS_ZERO;
	}
	off_t hole = lseek(r->f.fd, (off_t)off, SEEK_HOLE);
	uint64_t n = hole > (off_t)off ? (uint64_t)hole - off : len;
	*pnum = n < len ? n : len;
	return DISK_BS_ALLOCATED;
}

static void raw_close(struct disk *d)
{
	struct raw_disk *r = RAW(d);
	bfile_close(&r->f);
	free(d->path);
	free(r);
}

static const struct disk_ops raw_ops = {
	.preadv = raw_preadv,
	.pwritev = raw_pwritev,
	.flush = raw_flush,
	.discard = raw_discard,
	.write_zeroes = raw_write_zeroes,
	.block_status = raw_block_status,
	.close = raw_close,
};

int raw_open(const char *path, const struct disk_open_opts *opts, struct disk **out,
	     char *err, size_t errlen)
{
	struct raw_disk *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->disk.path = strdup(path);
	if (!r->disk.path) {
		free(r);
		return -ENOMEM;
	}
	int ret = bfile_open(&r->f, r->disk.path, opts->readonly, opts->cache, err, errlen);
	if (ret) {
		free(r->disk.path);
		free(r);
		return ret;
	}
	ret = bfile_size(&r->f, &r->disk.size);
	if (ret) {
		disk_seterr(err, errlen, "%s: cannot get size: %s", path, strerror(-ret));
		raw_close(&r->disk);
		return ret;
	}
	r->disk.ops = &raw_ops;
	r->disk.readonly = opts->readonly;
	r->disk.format = "raw";
	*out = &r->disk;
	return 0;
}

int raw_create(const char *path, uint64_t size, char *err, size_t errlen)
{
	if (size > INT64_MAX) {
		disk_seterr(err, errlen, "%s: size too large", path);
		return -EFBIG;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		int e = errno;
		disk_seterr(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	int ret = 0;
	if (ftruncate(fd, (off_t)size) < 0 || fsync(fd) < 0) {
		ret = -errno;
		disk_seterr(err, errlen, "%s: %s", path, strerror(-ret));
	}
	close(fd);
	return ret;
}

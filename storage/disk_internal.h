/* Private to storage/: host file access, iovec helpers, backend constructors. */
#ifndef VMDECK_STORAGE_DISK_INTERNAL_H
#define VMDECK_STORAGE_DISK_INTERNAL_H

#include <stdarg.h>
#include <sys/types.h>

#include "disk.h"

/* A host file opened for a cache mode. O_DIRECT alignment is handled here
 * with bounce buffers so the formats above can do byte-granular I/O. */
struct bfile {
	int fd;
	bool direct;      /* O_DIRECT (cache=none) */
	bool unsafe;      /* flush is a no-op */
	uint32_t align;   /* O_DIRECT alignment (offset, length, memory) */
	const char *path; /* for messages; owned by the disk */
};

int bfile_open(struct bfile *f, const char *path, bool readonly, enum disk_cache_mode cache,
	       char *err, size_t errlen);
void bfile_close(struct bfile *f);
/* Full transfers; reads past end of file return zeroes. 0 or -errno. */
int bfile_pread(struct bfile *f, void *buf, size_t len, uint64_t off);
int bfile_pwrite(struct bfile *f, const void *buf, size_t len, uint64_t off);
int bfile_preadv(struct bfile *f, const struct iovec *iov, int iovcnt, uint64_t off);
int bfile_pwritev(struct bfile *f, const struct iovec *iov, int iovcnt, uint64_t off);
int bfile_sync(struct bfile *f);          /* fdatasync unless unsafe */
int bfile_size(struct bfile *f, uint64_t *size);
int bfile_truncate(struct bfile *f, uint64_t size);

/* iovec helpers */
size_t iov_size(const struct iovec *iov, int iovcnt);
/* Sub-vector for bytes [off, off+len) of iov into dst (capacity dstcap);
 * returns the entry count or -EINVAL when it does not fit. */
int iov_slice(const struct iovec *iov, int iovcnt, size_t off, size_t len,
	      struct iovec *dst, int dstcap);
void iov_memset(const struct iovec *iov, int iovcnt, size_t off, int c, size_t len);
void iov_to_buf(const struct iovec *iov, int iovcnt, size_t off, void *buf, size_t len);
void iov_from_buf(const struct iovec *iov, int iovcnt, size_t off, const void *buf, size_t len);
bool buf_is_zero(const void *buf, size_t len);

#define DISK_IOV_MAX 1024

/* Files already open in this chain (loop detection) and the depth. */
struct disk_chain {
	int depth;
	dev_t dev[DISK_MAX_CHAIN + 1];
	ino_t ino[DISK_MAX_CHAIN + 1];
};

int disk_open_chain(const char *path, const char *format, const struct disk_open_opts *opts,
		    struct disk_chain *chain, struct disk **out, char *err, size_t errlen);
int raw_open(const char *path, const struct disk_open_opts *opts, struct disk **out,
	     char *err, size_t errlen);
int qcow2_open(const char *path, const struct disk_open_opts *opts, struct disk_chain *chain,
	       struct disk **out, char *err, size_t errlen);

/* snprintf into err if err is non-NULL */
void disk_seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Record a message in d->errmsg (per-request failures). */
void disk_set_ioerr(struct disk *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif

/* Disk image interface: one ops table per format (raw, qcow2), byte offsets.
 *
 * Threading: a struct disk (and its backing chain) is used by one thread at a
 * time -- in the VMM that is the disk's virtio-blk worker thread. Nothing in
 * here locks; callers that share a disk between threads must serialise.
 *
 * Every image file is hostile input: formats are never probed (the caller
 * names the format; backing formats come from the image header), table sizes
 * are capped before anything is allocated, and a malformed image gives a
 * -errno plus a message naming the file instead of a crash. */
#ifndef VMDECK_STORAGE_DISK_H
#define VMDECK_STORAGE_DISK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct disk;

enum disk_cache_mode {
	DISK_CACHE_WRITEBACK = 0, /* page cache; flush = fdatasync */
	DISK_CACHE_WRITETHROUGH,  /* every write is durable when it completes */
	DISK_CACHE_NONE,          /* O_DIRECT; flush = fdatasync */
	DISK_CACHE_UNSAFE,        /* page cache; flush is a no-op */
};

/* block_status result bits */
#define DISK_BS_ALLOCATED 0x1u /* this layer defines the content */
#define DISK_BS_ZERO      0x2u /* reads as zeroes */

struct disk_ops {
	/* Read/write the whole iovec at byte offset off; 0 or -errno. */
	int (*preadv)(struct disk *d, const struct iovec *iov, int iovcnt, uint64_t off);
	int (*pwritev)(struct disk *d, const struct iovec *iov, int iovcnt, uint64_t off);
	int (*flush)(struct disk *d);
	/* Content of the range becomes unspecified (raw: hole, qcow2: cluster
	 * freed); partial clusters may be left alone. */
	int (*discard)(struct disk *d, uint64_t off, uint64_t len);
	/* The range reads as zeroes afterwards. */
	int (*write_zeroes)(struct disk *d, uint64_t off, uint64_t len);
	/* Status of [off, off+len): returns DISK_BS_* bits (>= 0) valid for the
	 * first *pnum bytes (1 <= *pnum <= len), or -errno. */
	int (*block_status)(struct disk *d, uint64_t off, uint64_t len, uint64_t *pnum);
	void (*close)(struct disk *d);
};

struct disk_stats {
	uint64_t rd_ops, rd_bytes, wr_ops, wr_bytes, flush_ops, discard_ops;
};

struct disk {
	const struct disk_ops *ops;
	uint64_t size;        /* virtual size in bytes */
	bool readonly;
	const char *format;   /* "raw" or "qcow2" (static string) */
	char *path;           /* as opened (owned) */
	struct disk *backing; /* next in the chain, or NULL (owned by this disk) */
	char *backing_path;   /* resolved path of the backing file, or NULL */
	struct disk_stats stats;
	/* Last error message from an I/O call (requests have no errlen). */
	char errmsg[256];
};

struct disk_open_opts {
	bool readonly;
	enum disk_cache_mode cache;
	/* Format of the first backing file when the image header does not record
	 * one (qcow2 backing-format extension absent); NULL = refuse such images. */
	const char *backing_format;
	/* qcow2 L2 cache capacity in tables, 0 = default (1 MiB worth, >= 16). */
	unsigned l2_cache_tables;
	/* Open without the backing chain (tools that only inspect metadata). */
	bool no_backing;
};

#define DISK_MAX_CHAIN 16 /* backing chain depth cap */

int disk_open(const char *path, const char *format, const struct disk_open_opts *opts,
	      struct disk **out, char *err, size_t errlen);
void disk_close(struct disk *d);

/* Checked wrappers: range against the virtual size, read-only, counters. */
int disk_preadv(struct disk *d, const struct iovec *iov, int iovcnt, uint64_t off);
int disk_pwritev(struct disk *d, const struct iovec *iov, int iovcnt, uint64_t off);
int disk_pread(struct disk *d, void *buf, size_t len, uint64_t off);
int disk_pwrite(struct disk *d, const void *buf, size_t len, uint64_t off);
int disk_flush(struct disk *d);
int disk_discard(struct disk *d, uint64_t off, uint64_t len);
int disk_write_zeroes(struct disk *d, uint64_t off, uint64_t len);
int disk_block_status(struct disk *d, uint64_t off, uint64_t len, uint64_t *pnum);

/* "writeback"|"writethrough"|"none"|"unsafe" -> mode; -EINVAL if unknown. */
int disk_parse_cache_mode(const char *s, enum disk_cache_mode *out);
const char *disk_cache_mode_name(enum disk_cache_mode m);
/* "raw" | "qcow2" -> 0, else -EINVAL. */
int disk_check_format(const char *fmt);
/* Sizes like "512", "64K", "64M", "10G", "1T" (binary units); -EINVAL/-ERANGE. */
int disk_parse_size(const char *s, uint64_t *out);
/* Reads the first bytes of path: "qcow2" when it has the qcow2 magic, else
 * "raw". Only for an image the user named on the command line; never used
 * for backing files. */
int disk_probe_format(const char *path, const char **fmt, char *err, size_t errlen);

#endif

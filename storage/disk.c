/* Format-independent disk entry points: open by explicit format, range
 * checks, counters and small parsers. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk_internal.h"

void disk_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void disk_set_ioerr(struct disk *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->errmsg, sizeof(d->errmsg), fmt, ap);
	va_end(ap);
}

int disk_check_format(const char *fmt)
{
	if (fmt && (!strcmp(fmt, "raw") || !strcmp(fmt, "qcow2")))
		return 0;
	return -EINVAL;
}

int disk_open_chain(const char *path, const char *format, const struct disk_open_opts *opts,
		    struct disk_chain *chain, struct disk **out, char *err, size_t errlen)
{
	*out = NULL;
	if (!format) {
		disk_seterr(err, errlen, "%s: no image format given (formats are never probed)", path);
		return -EINVAL;
	}
	if (chain->depth > DISK_MAX_CHAIN) {
		disk_seterr(err, errlen, "%s: backing chain deeper than %d", path, DISK_MAX_CHAIN);
		return -ELOOP;
	}
	struct stat st;
	if (stat(path, &st) < 0) {
		int e = errno;
		disk_seterr(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	for (int i = 0; i < chain->depth; i++) {
		if (chain->dev[i] == st.st_dev && chain->ino[i] == st.st_ino) {
			disk_seterr(err, errlen, "%s: backing chain loop (file already in the chain)",
				    path);
			return -ELOOP;
		}
	}
	chain->dev[chain->depth] = st.st_dev;
	chain->ino[chain->depth] = st.st_ino;
	chain->depth++;
	int ret;
	if (!strcmp(format, "raw"))
		ret = raw_open(path, opts, out, err, errlen);
	else if (!strcmp(format, "qcow2"))
		ret = qcow2_open(path, opts, chain, out, err, errlen);
	else {
		disk_seterr(err, errlen, "%s: unknown image format '%s' (raw, qcow2)", path, format);
		ret = -EINVAL;
	}
	chain->depth--;
	return ret;
}

int disk_open(const char *path, const char *format, const struct disk_open_opts *opts,
	      struct disk **out, char *err, size_t errlen)
{
	struct disk_open_opts def = { 0 };
	struct disk_chain chain = { 0 };
	return disk_open_chain(path, format, opts ? opts : &def, &chain, out, err, errlen);
}

void disk_close(struct disk *d)
{
	if (d)
		d->ops->close(d);
}

static int range_ok(struct disk *d, uint64_t off, uint64_t len)
{
	uint64_t end;
	if (__builtin_add_overflow(off, len, &end) || end > d->size) {
		disk_set_ioerr(d, "%s: request [%" PRIu64 ", +%" PRIu64 ") past end of disk (%" PRIu64
			       ")", d->path, off, len, d->size);
		return -EINVAL;
	}
	return 0;
}

int disk_preadv(struct disk *d, const struct iovec *iov, int iovcnt, uint64_t off)
{
	if (iovcnt < 0 || iovcnt > DISK_IOV_MAX)
		return -EINVAL;
	size_t len = iov_size(iov, iovcnt);
	int ret = range_ok(d, off, len);
	if (ret)
		return ret;
	d->stats.rd_ops++;
	d->stats.rd_bytes += len;
	return len ? d->ops->preadv(d, iov, iovcnt, off) : 0;
}

int disk_pwritev(struct disk *d, const struct iovec *iov, int iovcnt, uint64_t off)
{
	if (d->readonly)
		return -EROFS;
	if (iovcnt < 0 || iovcnt > DISK_IOV_MAX)
		return -EINVAL;
	size_t len = iov_size(iov, iovcnt);
	int ret = range_ok(d, off, len);
	if (ret)
		return ret;
	d->stats.wr_ops++;
	d->stats.wr_bytes += len;
	return len ? d->ops->pwritev(d, iov, iovcnt, off) : 0;
}

int disk_pread(struct disk *d, void *buf, size_t len, uint64_t off)
{
	struct iovec v = { buf, len };
	return disk_preadv(d, &v, 1, off);
}

int disk_pwrite(struct disk *d, const void *buf, size_t len, uint64_t off)
{
	struct iovec v = { (void *)buf, len };
	return disk_pwritev(d, &v, 1, off);
}

int disk_flush(struct disk *d)
{
	if (d->readonly)
		return 0;
	d->stats.flush_ops++;
	return d->ops->flush(d);
}

int disk_discard(struct disk *d, uint64_t off, uint64_t len)
{
	if (d->readonly)
		return -EROFS;
	int ret = range_ok(d, off, len);
	if (ret)
		return ret;
	d->stats.discard_ops++;
	return len ? d->ops->discard(d, off, len) : 0;
}

int disk_write_zeroes(struct disk *d, uint64_t off, uint64_t len)
{
	if (d->readonly)
		return -EROFS;
	int ret = range_ok(d, off, len);
	if (ret)
		return ret;
	d->stats.wr_ops++;
	return len ? d->ops->write_zeroes(d, off, len) : 0;
}

int disk_block_status(struct disk *d, uint64_t off, uint64_t len, uint64_t *pnum)
{
	int ret = range_ok(d, off, len);
	if (ret)
		return ret;
	if (!len)
		return -EINVAL;
	return d->ops->block_status(d, off, len, pnum);
}

static const char *const cache_names[] = {
	[DISK_CACHE_WRITEBACK] = "writeback",
	[DISK_CACHE_WRITETHROUGH] = "writethrough",
	[DISK_CACHE_NONE] = "none",
	[DISK_CACHE_UNSAFE] = "unsafe",
};

int disk_parse_cache_mode(const char *s, enum disk_cache_mode *out)
{
	for (size_t i = 0; i < sizeof(cache_names) / sizeof(cache_names[0]); i++) {
		if (s && !strcmp(s, cache_names[i])) {
			*out = (enum disk_cache_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *disk_cache_mode_name(enum disk_cache_mode m)
{
	if ((unsigned)m < sizeof(cache_names) / sizeof(cache_names[0]))
		return cache_names[m];
	return "?";
}

int disk_parse_size(const char *s, uint64_t *out)
{
	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	unsigned shift = 0;
	switch (*end) {
	case '\0': break;
	case 'b': case 'B': shift = 0; end++; break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	case 'p': case 'P': shift = 50; end++; break;
	default: return -EINVAL;
	}
	if (*end == 'i' && shift)
		end++;
	if ((*end == 'B' || *end == 'b') && shift)
		end++;
	if (*end)
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

int disk_probe_format(const char *path, const char **fmt, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		disk_seterr(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	unsigned char m[4] = { 0 };
	ssize_t n = pread(fd, m, 4, 0);
	close(fd);
	*fmt = (n == 4 && m[0] == 'Q' && m[1] == 'F' && m[2] == 'I' && m[3] == 0xfb) ? "qcow2" : "raw";
	return 0;
}

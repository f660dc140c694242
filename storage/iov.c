/* iovec helpers shared by the image formats. */
#include <errno.h>
#include <string.h>

#include "disk_internal.h"

size_t iov_size(const struct iovec *iov, int iovcnt)
{
	size_t n = 0;
	for (int i = 0; i < iovcnt; i++)
		n += iov[i].iov_len;
	return n;
}

int iov_slice(const struct iovec *iov, int iovcnt, size_t off, size_t len,
	      struct iovec *dst, int dstcap)
{
	int n = 0;
	for (int i = 0; i < iovcnt && len > 0; i++) {
		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		size_t take = iov[i].iov_len - off;
		if (take > len)
			take = len;
		if (n >= dstcap)
			return -EINVAL;
		dst[n].iov_base = (char *)iov[i].iov_base + off;
		dst[n].iov_len = take;
		n++;
		len -= take;
		off = 0;
	}
	return len ? -EINVAL : n;
}

/* Calls fn on each piece of [off, off+len) of the vector. */
#define IOV_WALK(iov, iovcnt, off, len, BODY)                                  \
	do {                                                                   \
		size_t done_ = 0;                                              \
		for (int i_ = 0; i_ < (iovcnt) && done_ < (len); i_++) {       \
			if ((off) >= (iov)[i_].iov_len) {                      \
				(off) -= (iov)[i_].iov_len;                    \
				continue;                                      \
			}                                                      \
			size_t n_ = (iov)[i_].iov_len - (off);                 \
			if (n_ > (len) - done_)                                \
				n_ = (len) - done_;                            \
			char *p_ = (char *)(iov)[i_].iov_base + (off);         \
			BODY;                                                  \
			done_ += n_;                                           \
			(off) = 0;                                             \
		}                                                              \
	} while (0)

void iov_memset(const struct iovec *iov, int iovcnt, size_t off, int c, size_t len)
{
	IOV_WALK(iov, iovcnt, off, len, memset(p_, c, n_));
}

void iov_to_buf(const struct iovec *iov, int iovcnt, size_t off, void *buf, size_t len)
{
	char *b = buf;
	IOV_WALK(iov, iovcnt, off, len, memcpy(b + done_, p_, n_));
}

void iov_from_buf(const struct iovec *iov, int iovcnt, size_t off, const void *buf, size_t len)
{
	const char *b = buf;
	IOV_WALK(iov, iovcnt, off, len, memcpy(p_, b + done_, n_));
}

bool buf_is_zero(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	/* word-at-a-time where aligned; the tail and head bytewise */
	while (len && ((uintptr_t)p & 7)) {
		if (*p)
			return false;
		p++;
		len--;
	}
	const uint64_t *w = (const uint64_t *)p;
	while (len >= 32) {
		if (w[0] | w[1] | w[2] | w[3])
			return false;
		w += 4;
		len -= 32;
	}
	p = (const unsigned char *)w;
	while (len--) {
		if (*p++)
			return false;
	}
	return true;
}

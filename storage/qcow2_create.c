/* qcow2 image creation and header rewriting (rebase -u).
 * Layout of a new image: cluster 0 header + extensions + backing name, then
 * the refcount table, the refcount blocks covering the initial clusters, and
 * the L1 table (spec "Header", "Host cluster management"). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qcow2_int.h"

#define CREATE_HEADER_LEN 112 /* v3 header incl. compression_type, padded to 8 */

static void put32(uint8_t *p, uint32_t v) { v = htobe32(v); memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { v = htobe64(v); memcpy(p, &v, 8); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return be32toh(v); }

/* Writes extensions (backing format first, then `keep` bytes of other
 * extensions) + end marker + backing name at pos in c0; fills the backing
 * fields of the header. Returns -ENOSPC if it does not fit in the cluster. */
static int layout_tail(uint8_t *c0, uint64_t cs, uint64_t pos, const uint8_t *keep, size_t keeplen,
		       const char *backing, const char *fmt)
{
	size_t blen = backing ? strlen(backing) : 0;
	size_t flen = fmt ? strlen(fmt) : 0;
	uint64_t need = pos + keeplen + 8 + blen + (backing ? 8 + ((flen + 7) & ~7ull) : 0);
	if (need > cs)
		return -ENOSPC;
	memset(c0 + pos, 0, cs - pos);
	if (backing) {
		put32(c0 + pos, QCOW2_EXT_BACKING_FMT);
		put32(c0 + pos + 4, (uint32_t)flen);
		memcpy(c0 + pos + 8, fmt, flen);
		pos += 8 + ((flen + 7) & ~7ull);
	}
	if (keeplen)
		memcpy(c0 + pos, keep, keeplen);
	pos += keeplen;
	pos += 8; /* end marker: type 0, length 0 */
	if (backing) {
		memcpy(c0 + pos, backing, blen);
		put64(c0 + 8, pos);
		put32(c0 + 16, (uint32_t)blen);
	} else {
		put64(c0 + 8, 0);
		put32(c0 + 16, 0);
	}
	return 0;
}

int qcow2_create(const char *path, uint64_t size, uint64_t cluster_size, const char *backing,
		 const char *backing_fmt, char *err, size_t errlen)
{
	if (!cluster_size)
		cluster_size = 65536;
	if (cluster_size < 512 || cluster_size > (2u << 20) || (cluster_size & (cluster_size - 1))) {
		disk_seterr(err, errlen, "%s: cluster size %" PRIu64 " invalid (power of two, 512..2M)",
			    path, cluster_size);
		return -EINVAL;
	}
	if (backing && (!backing_fmt || disk_check_format(backing_fmt))) {
		disk_seterr(err, errlen, "%s: backing file needs an explicit format (raw or qcow2)", path);
		return -EINVAL;
	}
	if (backing && strlen(backing) > QCOW2_MAX_BACKING_NAME) {
		disk_seterr(err, errlen, "%s: backing file name too long", path);
		return -ENAMETOOLONG;
	}
	if (backing && size == 0) {
		/* take the size from the backing file, opened without its chain */
		char *rp = NULL;
		if (backing[0] == '/' || !strchr(path, '/')) {
			rp = strdup(backing);
		} else {
			const char *slash = strrchr(path, '/');
			if (asprintf(&rp, "%.*s/%s", (int)(slash - path), path, backing) < 0)
				rp = NULL;
		}
		if (!rp)
			return -ENOMEM;
		struct disk_open_opts o = { .readonly = true, .no_backing = true };
		struct disk *b;
		int ret = disk_open(rp, backing_fmt, &o, &b, err, errlen);
		free(rp);
		if (ret)
			return ret;
		size = b->size;
		disk_close(b);
	}
	size = (size + 511) & ~511ull;
	if (size > QCOW2_MAX_VIRTUAL_SIZE) {
		disk_seterr(err, errlen, "%s: size too large", path);
		return -EFBIG;
	}
	unsigned cb = (unsigned)__builtin_ctzll(cluster_size);
	uint64_t cs = cluster_size;
	uint64_t per_l1 = (cs / 8) * cs;
	uint64_t l1_entries = size / per_l1 + (size % per_l1 != 0);
	if (l1_entries * 8 > QCOW2_MAX_L1_BYTES) {
		disk_seterr(err, errlen, "%s: size too large for cluster size %" PRIu64, path, cs);
		return -EFBIG;
	}
	uint64_t l1c = (l1_entries * 8 + cs - 1) / cs;
	uint64_t rb_entries = cs * 8 / 16; /* refcount_order 4 */
	uint64_t r = 1, k = 1;
	for (int i = 0; i < 32; i++) {
		uint64_t total = 1 + r + k + l1c;
		uint64_t nk = (total + rb_entries - 1) / rb_entries;
		uint64_t nr = (nk * 8 + cs - 1) / cs;
		if (nk == k && nr == r)
			break;
		k = nk;
		r = nr;
	}
	uint64_t total = 1 + r + k + l1c;
	if (r * cs > QCOW2_MAX_RT_BYTES) {
		disk_seterr(err, errlen, "%s: refcount table too large", path);
		return -EFBIG;
	}
	size_t bytes = (size_t)(total * cs);
	uint8_t *img = calloc(1, bytes);
	if (!img)
		return -ENOMEM;
	uint8_t *c0 = img;
	put32(c0, QCOW2_MAGIC);
	put32(c0 + 4, 3);
	put32(c0 + 20, cb);
	put64(c0 + 24, size);
	put32(c0 + 36, (uint32_t)l1_entries);
	put64(c0 + 40, (1 + r + k) * cs);
	put64(c0 + 48, cs);
	put32(c0 + 56, (uint32_t)r);
	put32(c0 + 96, 4);
	put32(c0 + 100, CREATE_HEADER_LEN);
	if (layout_tail(c0, cs, CREATE_HEADER_LEN, NULL, 0, backing, backing_fmt)) {
		free(img);
		disk_seterr(err, errlen, "%s: backing file name does not fit in the header cluster", path);
		return -ENAMETOOLONG;
	}
	uint8_t *rt = img + cs;
	for (uint64_t j = 0; j < k; j++)
		put64(rt + j * 8, (1 + r + j) * cs);
	uint8_t *rb = img + (1 + r) * cs;
	for (uint64_t c = 0; c < total; c++)
		qcow2_rb_set(rb, 4, c, 1); /* blocks are contiguous: index = cluster */

	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		int e = errno;
		free(img);
		disk_seterr(err, errlen, "%s: %s", path, strerror(e));
		return -e;
	}
	struct bfile f = { .fd = fd, .align = 1, .path = path };
	int ret = bfile_pwrite(&f, img, bytes, 0);
	if (!ret && fsync(fd) < 0)
		ret = -errno;
	free(img);
	close(fd);
	if (ret)
		disk_seterr(err, errlen, "%s: %s", path, strerror(-ret));
	return ret;
}

int qcow2_set_backing(const char *path, const char *backing, const char *backing_fmt,
		      char *err, size_t errlen)
{
	if (backing && (!backing_fmt || disk_check_format(backing_fmt))) {
		disk_seterr(err, errlen, "%s: backing file needs an explicit format (raw or qcow2)", path);
		return -EINVAL;
	}
	if (backing && strlen(backing) > QCOW2_MAX_BACKING_NAME) {
		disk_seterr(err, errlen, "%s: backing file name too long", path);
		return -ENAMETOOLONG;
	}
	struct bfile f;
	int ret = bfile_open(&f, path, false, DISK_CACHE_WRITEBACK, err, errlen);
	if (ret)
		return ret;
	uint64_t fsize;
	struct qcow2_header h;
	uint8_t *c0 = NULL, *keep = NULL;
	ret = bfile_size(&f, &fsize);
	if (!ret)
		ret = qcow2_read_header(&f, fsize, &h, &c0, err, errlen);
	if (ret)
		goto out;
	if (h.version < 3) {
		disk_seterr(err, errlen, "%s: rebase needs a version 3 image", path);
		ret = -ENOTSUP;
		goto out;
	}
	uint64_t cs = 1ull << h.cluster_bits;
	/* keep every extension except the backing format and the end marker */
	keep = malloc(cs);
	if (!keep) {
		ret = -ENOMEM;
		goto out;
	}
	size_t keeplen = 0;
	uint64_t ext_end = h.backing_file_offset ? h.backing_file_offset : cs;
	uint64_t pos = h.header_length;
	while (pos + 8 <= ext_end) {
		uint32_t type = get32(c0 + pos), len = get32(c0 + pos + 4);
		if (type == QCOW2_EXT_END)
			break;
		uint64_t sz = 8 + (((uint64_t)len + 7) & ~7ull);
		if (sz > ext_end - pos)
			sz = ext_end - pos; /* validated by qcow2_read_header */
		if (type != QCOW2_EXT_BACKING_FMT) {
			memcpy(keep + keeplen, c0 + pos, sz);
			keeplen += sz;
		}
		pos += sz;
	}
	if (layout_tail(c0, cs, h.header_length, keep, keeplen, backing, backing_fmt)) {
		disk_seterr(err, errlen, "%s: backing file name does not fit in the header cluster", path);
		ret = -ENAMETOOLONG;
		goto out;
	}
	ret = bfile_pwrite(&f, c0, cs, 0);
	if (!ret)
		ret = bfile_sync(&f);
	if (ret)
		disk_seterr(err, errlen, "%s: writing header: %s", path, strerror(-ret));
out:
	free(c0);
	free(keep);
	bfile_close(&f);
	return ret;
}

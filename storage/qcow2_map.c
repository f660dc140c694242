/* qcow2 guest I/O: cluster mapping through L1/L2 (spec "Cluster mapping"),
 * reads (normal, zero, compressed, backing), allocating writes with COW,
 * discard, write_zeroes, block status. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "qcow2_int.h"

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

int qcow2_check_host(struct qcow2 *q, uint64_t off, uint64_t len, const char *what)
{
	const char *why = NULL;
	uint64_t fend = (q->file_size + q->cs - 1) & ~(q->cs - 1);
	if (off & (q->cs - 1))
		why = "misaligned";
	else if (off < q->cs)
		why = "points into the header";
	else if (off >= fend || len > fend - off)
		why = "points past end of file";
	else if (overlaps(off, len, q->h.l1_table_offset, (uint64_t)q->h.l1_size * 8))
		why = "overlaps the L1 table";
	else if (overlaps(off, len, q->h.refcount_table_offset,
			  (uint64_t)q->h.refcount_table_clusters << q->cb))
		why = "overlaps the refcount table";
	if (!why)
		return 0;
	disk_set_ioerr(&q->disk, "%s: qcow2 %s at 0x%" PRIx64 " %s", q->disk.path, what, off, why);
	return -EIO;
}

/* L2 table (cache slot) for a guest offset. With alloc, a missing table is
 * allocated (refcount first, table zeroed in the cache, L1 entry set in
 * memory; all reach the disk in order at the next metadata flush). */
static int l2_table(struct qcow2 *q, uint64_t goff, bool alloc, uint8_t **tbl, int *slot)
{
	uint64_t l1i = goff >> (q->cb + q->l2_bits);
	*tbl = NULL;
	if (l1i >= q->h.l1_size) {
		disk_set_ioerr(&q->disk, "%s: qcow2 offset beyond L1 table", q->disk.path);
		return -EIO;
	}
	uint64_t e = q->l1[l1i];
	uint64_t off = e & QCOW2_L1E_OFFSET_MASK;
	if (off) {
		if (alloc && !(e & QCOW2_OFLAG_COPIED)) {
			disk_set_ioerr(&q->disk, "%s: qcow2 L2 table at 0x%" PRIx64 " is shared "
				       "(no COPIED flag); internal snapshots are not supported for writing",
				       q->disk.path, off);
			return -ENOTSUP;
		}
		int ret = qcow2_check_host(q, off, q->cs, "L2 table");
		if (ret)
			return ret;
		return qcow2_cache_get(q, &q->l2c, off, false, tbl, slot);
	}
	if (!alloc)
		return 0;
	int ret = qcow2_alloc_cluster(q, &off);
	if (ret)
		return ret;
	ret = qcow2_cache_get(q, &q->l2c, off, true, tbl, slot);
	if (ret)
		return ret;
	qcow2_cache_dirty(&q->l2c, *slot);
	q->l1[l1i] = off | QCOW2_OFLAG_COPIED;
	if (l1i < q->l1_dirty_lo)
		q->l1_dirty_lo = l1i;
	if (l1i > q->l1_dirty_hi)
		q->l1_dirty_hi = l1i;
	return 0;
}

static uint64_t l2_index(const struct qcow2 *q, uint64_t goff)
{
	return (goff >> q->cb) & (q->l2_entries - 1);
}

static uint64_t get_be64(const uint8_t *tbl, uint64_t i)
{
	uint64_t v;
	memcpy(&v, tbl + i * 8, 8);
	return be64toh(v);
}

static void put_be64(uint8_t *tbl, uint64_t i, uint64_t v)
{
	v = htobe64(v);
	memcpy(tbl + i * 8, &v, 8);
}

int qcow2_get_entry(struct qcow2 *q, uint64_t goff, uint64_t *entry)
{
	uint8_t *tbl;
	int slot;
	*entry = 0;
	int ret = l2_table(q, goff, false, &tbl, &slot);
	if (ret || !tbl)
		return ret;
	*entry = get_be64(tbl, l2_index(q, goff));
	return 0;
}

enum ctype { C_UNALLOC, C_ZERO, C_NORMAL, C_COMPRESSED };

static int classify(struct qcow2 *q, uint64_t e, enum ctype *t)
{
	if (e & QCOW2_OFLAG_COMPRESSED) {
		*t = C_COMPRESSED;
		return 0;
	}
	uint64_t off = e & QCOW2_L2E_OFFSET_MASK;
	if (q->h.version >= 3 && (e & QCOW2_OFLAG_ZERO)) {
		*t = C_ZERO;
		return off ? qcow2_check_host(q, off, q->cs, "zero cluster") : 0;
	}
	if (!off) {
		*t = C_UNALLOC;
		return 0;
	}
	*t = C_NORMAL;
	return qcow2_check_host(q, off, q->cs, "data cluster");
}

/* Backing content for guest range [off, off+len) into iov (zeroes beyond
 * the backing file's size or without one). */
static int read_backing(struct qcow2 *q, const struct iovec *iov, int iovcnt, size_t ioff,
			uint64_t off, size_t len)
{
	struct disk *b = q->disk.backing;
	size_t have = 0;
	if (b && off < b->size)
		have = b->size - off < len ? (size_t)(b->size - off) : len;
	if (have) {
		struct iovec sub[DISK_IOV_MAX];
		int n = iov_slice(iov, iovcnt, ioff, have, sub, DISK_IOV_MAX);
		if (n < 0)
			return n;
		int ret = b->ops->preadv(b, sub, n, off);
		if (ret) {
			disk_set_ioerr(&q->disk, "%s: backing file %s: %s", q->disk.path, b->path,
				       b->errmsg[0] ? b->errmsg : strerror(-ret));
			return ret;
		}
	}
	if (have < len)
		iov_memset(iov, iovcnt, ioff + have, 0, len - have);
	return 0;
}

int qcow2_preadv(struct disk *d, const struct iovec *iov, int iovcnt, uint64_t off)
{
	struct qcow2 *q = Q(d);
	size_t total = iov_size(iov, iovcnt), done = 0;
	struct iovec sub[DISK_IOV_MAX];
	while (done < total) {
		uint64_t g = off + done;
		uint64_t in = g & (q->cs - 1);
		size_t n = q->cs - in < total - done ? (size_t)(q->cs - in) : total - done;
		uint64_t e;
		enum ctype t;
		int ret = qcow2_get_entry(q, g, &e);
		if (!ret)
			ret = classify(q, e, &t);
		if (ret)
			return ret;
		/* merge physically contiguous normal clusters into one read */
		if (t == C_NORMAL) {
			uint64_t host = e & QCOW2_L2E_OFFSET_MASK;
			while (done + n < total) {
				uint64_t e2;
				enum ctype t2;
				uint64_t g2 = off + done + n;
				if (qcow2_get_entry(q, g2, &e2) || classify(q, e2, &t2) || t2 != C_NORMAL ||
				    (e2 & QCOW2_L2E_OFFSET_MASK) != host + in + n)
					break;
				n += total - done - n < q->cs ? total - done - n : (size_t)q->cs;
			}
			int cnt = iov_slice(iov, iovcnt, done, n, sub, DISK_IOV_MAX);
			if (cnt < 0)
				return cnt;
			ret = bfile_preadv(&q->f, sub, cnt, host + in);
			if (ret) {
				disk_set_ioerr(d, "%s: read at 0x%" PRIx64 ": %s", d->path, host + in,
					       strerror(-ret));
				return ret;
			}
		} else if (t == C_ZERO) {
			iov_memset(iov, iovcnt, done, 0, n);
		} else if (t == C_UNALLOC) {
			ret = read_backing(q, iov, iovcnt, done, g, n);
			if (ret)
				return ret;
		} else {
			uint8_t *c;
			ret = qcow2_read_compressed(q, e, &c);
			if (ret)
				return ret;
			iov_from_buf(iov, iovcnt, done, c + in, n);
		}
		done += n;
	}
	return 0;
}

/* Fill q->cbuf with the current content of the guest cluster at g (for COW). */
static int cluster_content(struct qcow2 *q, uint64_t g, uint64_t e, enum ctype t)
{
	struct iovec v = { q->cbuf, q->cs };
	switch (t) {
	case C_ZERO:
		memset(q->cbuf, 0, q->cs);
		return 0;
	case C_UNALLOC:
		return read_backing(q, &v, 1, 0, g, q->cs);
	case C_NORMAL:
		return bfile_pread(&q->f, q->cbuf, q->cs, e & QCOW2_L2E_OFFSET_MASK);
	case C_COMPRESSED: {
		uint8_t *c;
		int ret = qcow2_read_compressed(q, e, &c);
		if (!ret)
			memcpy(q->cbuf, c, q->cs);
		return ret;
	}
	}
	return -EINVAL;
}

/* The host clusters an entry holds a reference on, freed after the L2
 * update that drops it is on disk. Shared clusters (no COPIED flag) are left
 * alone: at worst a leak, never a refcount too low. */
static int release_entry(struct qcow2 *q, uint64_t e, enum ctype t)
{
	if (t == C_COMPRESSED) {
		uint64_t off, len;
		qcow2_compressed_range(q, e, &off, &len);
		for (uint64_t c = off >> q->cb; c <= (off + len - 1) >> q->cb; c++) {
			int ret = qcow2_free_later(q, c);
			if (ret)
				return ret;
		}
		q->zout_entry = 0;
		return 0;
	}
	uint64_t off = e & QCOW2_L2E_OFFSET_MASK;
	if ((t == C_NORMAL || t == C_ZERO) && off && (e & QCOW2_OFLAG_COPIED))
		return qcow2_free_later(q, off >> q->cb);
	return 0;
}

/* Write n bytes (from iov at ioff) into the guest cluster containing g. */
static int write_cluster(struct qcow2 *q, uint64_t g, const struct iovec *iov, int iovcnt,
			 size_t ioff, size_t n)
{
	uint64_t in = g & (q->cs - 1);
	uint8_t *tbl;
	int slot;
	int ret = l2_table(q, g, true, &tbl, &slot);
	if (ret)
		return ret;
	uint64_t idx = l2_index(q, g);
	uint64_t e = get_be64(tbl, idx);
	enum ctype t;
	ret = classify(q, e, &t);
	if (ret)
		return ret;
	struct iovec sub[DISK_IOV_MAX];
	uint64_t host = e & QCOW2_L2E_OFFSET_MASK;
	bool inplace = (t == C_NORMAL || (t == C_ZERO && host)) && (e & QCOW2_OFLAG_COPIED);
	if (inplace && t == C_NORMAL) {
		int cnt = iov_slice(iov, iovcnt, ioff, n, sub, DISK_IOV_MAX);
		if (cnt < 0)
			return cnt;
		ret = bfile_pwritev(&q->f, sub, cnt, host + in);
		if (ret)
			disk_set_ioerr(&q->disk, "%s: write at 0x%" PRIx64 ": %s", q->disk.path,
				       host + in, strerror(-ret));
		return ret;
	}
	/* new cluster (or a preallocated zero cluster): write the whole cluster
	 * -- old content around the request, then the data -- before the L2
	 * entry changes */
	uint64_t newoff = host;
	if (!inplace) {
		ret = qcow2_alloc_cluster(q, &newoff);
		if (ret)
			return ret;
		/* allocation may have evicted our L2 table from the cache */
		ret = l2_table(q, g, true, &tbl, &slot);
		if (ret)
			return ret;
	}
	if (n == q->cs) {
		int cnt = iov_slice(iov, iovcnt, ioff, n, sub, DISK_IOV_MAX);
		if (cnt < 0)
			return cnt;
		ret = bfile_pwritev(&q->f, sub, cnt, newoff);
	} else {
		ret = cluster_content(q, g & ~(q->cs - 1), e, inplace ? C_ZERO : t);
		if (!ret) {
			iov_to_buf(iov, iovcnt, ioff, q->cbuf + in, n);
			ret = bfile_pwrite(&q->f, q->cbuf, q->cs, newoff);
		}
	}
	if (ret) {
		if (!inplace)
			qcow2_free_later(q, newoff >> q->cb);
		if (!q->disk.errmsg[0])
			disk_set_ioerr(&q->disk, "%s: write at 0x%" PRIx64 ": %s", q->disk.path, newoff,
				       strerror(-ret));
		return ret;
	}
	put_be64(tbl, idx, newoff | QCOW2_OFLAG_COPIED);
	qcow2_cache_dirty(&q->l2c, slot);
	if (!inplace)
		return release_entry(q, e, t);
	return 0;
}

int qcow2_flush(struct disk *d)
{
	struct qcow2 *q = Q(d);
	int ret = qcow2_flush_metadata(q);
	if (!ret)
		ret = bfile_sync(&q->f);
	return ret;
}

static int after_write(struct qcow2 *q, int ret)
{
	if (!ret && q->writethrough)
		ret = qcow2_flush(&q->disk);
	return ret;
}

int qcow2_pwritev(struct disk *d, const struct iovec *iov, int iovcnt, uint64_t off)
{
	struct qcow2 *q = Q(d);
	if (q->broken)
		return -EIO;
	d->errmsg[0] = 0;
	size_t total = iov_size(iov, iovcnt), done = 0;
	int ret = 0;
	while (!ret && done < total) {
		uint64_t g = off + done;
		uint64_t in = g & (q->cs - 1);
		size_t n = q->cs - in < total - done ? (size_t)(q->cs - in) : total - done;
		ret = write_cluster(q, g, iov, iovcnt, done, n);
		done += n;
	}
	return after_write(q, ret);
}

/* Set whole guest clusters in [off, off+len) to entry value ne (0 =
 * unallocated, ZERO flag = reads zero) and release what they held. */
static int set_clusters(struct qcow2 *q, uint64_t off, uint64_t len, uint64_t ne)
{
	for (uint64_t g = off; g < off + len; g += q->cs) {
		uint8_t *tbl;
		int slot;
		int ret = l2_table(q, g, ne != 0, &tbl, &slot);
		if (ret)
			return ret;
		if (!tbl)
			continue; /* no L2 table: already unallocated */
		uint64_t idx = l2_index(q, g);
		uint64_t e = get_be64(tbl, idx);
		if (e == ne)
			continue;
		enum ctype t;
		if (classify(q, e, &t))
			t = C_UNALLOC; /* corrupt entry: drop it, do not free */
		put_be64(tbl, idx, ne);
		qcow2_cache_dirty(&q->l2c, slot);
		ret = release_entry(q, e, t);
		if (ret)
			return ret;
	}
	return 0;
}

/* The whole clusters inside [off, off+len): start rounded up, end rounded
 * down, except that the disk's last, partial cluster counts as whole. */
static void whole_clusters(struct disk *d, uint64_t off, uint64_t len, uint64_t *start,
			   uint64_t *end)
{
	struct qcow2 *q = Q(d);

	*start = (off + q->cs - 1) & ~(q->cs - 1);
	*end = (off + len) & ~(q->cs - 1);
	if (off + len == d->size)
		*end = off + len;
}

int qcow2_discard(struct disk *d, uint64_t off, uint64_t len)
{
	struct qcow2 *q = Q(d);
	if (q->broken)
		return -EIO;
	/* whole clusters only; discard may leave partial clusters as they are */
	uint64_t start, end;
	whole_clusters(d, off, len, &start, &end);
	if (end <= start)
		return 0;
	/* with a backing file, unallocated would expose its data: use zero */
	uint64_t ne = d->backing_path ? QCOW2_OFLAG_ZERO : 0;
	return after_write(q, set_clusters(q, start, end - start, ne));
}

static int write_zero_bytes(struct qcow2 *q, uint64_t off, uint64_t len)
{
	static const uint8_t zero[4096];
	while (len) {
		size_t m = len < sizeof(zero) ? (size_t)len : sizeof(zero);
		if (m > q->cs - (off & (q->cs - 1)))
			m = (size_t)(q->cs - (off & (q->cs - 1)));
		struct iovec v = { (void *)zero, m };
		int ret = write_cluster(q, off, &v, 1, 0, m);
		if (ret)
			return ret;
		off += m;
		len -= m;
	}
	return 0;
}

int qcow2_write_zeroes(struct disk *d, uint64_t off, uint64_t len)
{
	struct qcow2 *q = Q(d);
	if (q->broken)
		return -EIO;
	uint64_t start, end;
	whole_clusters(d, off, len, &start, &end);
	int ret = 0;
	if (end <= start) {
		ret = write_zero_bytes(q, off, len);
	} else {
		ret = write_zero_bytes(q, off, start - off);
		if (!ret)
			ret = set_clusters(q, start, end - start, QCOW2_OFLAG_ZERO);
		if (!ret && off + len > end)
			ret = write_zero_bytes(q, end, off + len - end);
	}
	return after_write(q, ret);
}

int qcow2_block_status(struct disk *d, uint64_t off, uint64_t len, uint64_t *pnum)
{
	struct qcow2 *q = Q(d);
	int st = -1;
	uint64_t done = 0;
	while (done < len) {
		uint64_t g = off + done;
		uint64_t n = q->cs - (g & (q->cs - 1));
		if (n > len - done)
			n = len - done;
		uint64_t e;
		enum ctype t;
		int ret = qcow2_get_entry(q, g, &e);
		if (!ret)
			ret = classify(q, e, &t);
		if (ret)
			return ret;
		int s = t == C_UNALLOC ? (d->backing_path ? 0 : DISK_BS_ZERO)
		      : t == C_ZERO    ? DISK_BS_ALLOCATED | DISK_BS_ZERO
				       : DISK_BS_ALLOCATED;
		if (st >= 0 && s != st)
			break;
		st = s;
		done += n;
	}
	*pnum = done;
	return st;
}


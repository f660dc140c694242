/* qcow2 reference counts and cluster allocation (spec "Host cluster
 * management"), plus the ordered metadata flush.
 *
 * Crash ordering (kill -9 or power loss at any point leaks clusters at worst):
 *  - a refcount increment reaches the disk (and a barrier) before any L2/L1
 *    entry that uses the cluster: qcow2_flush_metadata and L2 eviction write
 *    and sync the refcount blocks first;
 *  - guest data is written before the L2 entry pointing at it (data goes to
 *    the file at once, L2 entries only at flush/eviction, after a barrier);
 *  - a refcount decrement is applied only after the L2 entry that dropped the
 *    cluster is on disk (pending_free), so a freed cluster is never reused
 *    while an on-disk table still points at it;
 *  - a new refcount block is written before the table entry pointing to it;
 *    a grown refcount table is written and synced before the header switches
 *    to it, and the old table is freed only afterwards. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "qcow2_int.h"

uint64_t qcow2_rb_get(const uint8_t *blk, unsigned order, uint64_t i)
{
	switch (order) {
	case 0: case 1: case 2: {
		uint64_t bit = i << order;
		return (blk[bit >> 3] >> (bit & 7)) & ((1u << (1u << order)) - 1);
	}
	case 3: return blk[i];
	case 4: { uint16_t v; memcpy(&v, blk + i * 2, 2); return be16toh(v); }
	case 5: { uint32_t v; memcpy(&v, blk + i * 4, 4); return be32toh(v); }
	default: { uint64_t v; memcpy(&v, blk + i * 8, 8); return be64toh(v); }
	}
}

void qcow2_rb_set(uint8_t *blk, unsigned order, uint64_t i, uint64_t val)
{
	switch (order) {
	case 0: case 1: case 2: {
		uint64_t bit = i << order;
		unsigned mask = ((1u << (1u << order)) - 1) << (bit & 7);
		blk[bit >> 3] = (uint8_t)((blk[bit >> 3] & ~mask) | ((val << (bit & 7)) & mask));
		break;
	}
	case 3: blk[i] = (uint8_t)val; break;
	case 4: { uint16_t v = htobe16((uint16_t)val); memcpy(blk + i * 2, &v, 2); break; }
	case 5: { uint32_t v = htobe32((uint32_t)val); memcpy(blk + i * 4, &v, 4); break; }
	default: { uint64_t v = htobe64(val); memcpy(blk + i * 8, &v, 8); break; }
	}
}

static uint64_t rc_max(const struct qcow2 *q)
{
	unsigned bits = 1u << q->h.refcount_order;
	return bits == 64 ? UINT64_MAX : (1ull << bits) - 1;
}

/* Validated host offset of the refcount block for cluster, 0 if none. */
static int block_for(struct qcow2 *q, uint64_t cluster, uint64_t *boff)
{
	uint64_t bi = cluster >> q->rb_bits;
	*boff = 0;
	if (bi >= q->rt_entries)
		return 0;
	uint64_t e = q->rt[bi];
	uint64_t off = e & QCOW2_RTE_OFFSET_MASK;
	if (!off)
		return 0;
	if ((e & 511) || (off & (q->cs - 1))) {
		disk_set_ioerr(&q->disk, "%s: qcow2 refcount table entry %" PRIu64
			       " misaligned (0x%" PRIx64 ")", q->disk.path, bi, e);
		return -EIO;
	}
	int ret = qcow2_check_host(q, off, q->cs, "refcount block");
	if (ret)
		return ret;
	*boff = off;
	return 0;
}

int qcow2_refcount_get(struct qcow2 *q, uint64_t cluster, uint64_t *rc)
{
	uint64_t boff;
	int ret = block_for(q, cluster, &boff);
	if (ret)
		return ret;
	if (!boff) {
		*rc = 0;
		return 0;
	}
	uint8_t *blk;
	int slot;
	ret = qcow2_cache_get(q, &q->rbc, boff, false, &blk, &slot);
	if (ret)
		return ret;
	*rc = qcow2_rb_get(blk, q->h.refcount_order, cluster & ((1ull << q->rb_bits) - 1));
	return 0;
}

int qcow2_refcount_add(struct qcow2 *q, uint64_t cluster, int delta)
{
	uint64_t boff;
	int ret = block_for(q, cluster, &boff);
	if (ret)
		return ret;
	if (!boff) {
		disk_set_ioerr(&q->disk, "%s: qcow2 no refcount block for cluster %" PRIu64,
			       q->disk.path, cluster);
		return -EIO;
	}
	uint8_t *blk;
	int slot;
	ret = qcow2_cache_get(q, &q->rbc, boff, false, &blk, &slot);
	if (ret)
		return ret;
	uint64_t i = cluster & ((1ull << q->rb_bits) - 1);
	uint64_t v = qcow2_rb_get(blk, q->h.refcount_order, i);
	if ((delta < 0 && v < (uint64_t)-delta) || (delta > 0 && v > rc_max(q) - (uint64_t)delta)) {
		disk_set_ioerr(&q->disk, "%s: qcow2 refcount of cluster %" PRIu64 " would %s",
			       q->disk.path, cluster, delta < 0 ? "underflow" : "overflow");
		return -EIO;
	}
	v += (uint64_t)(int64_t)delta;
	qcow2_rb_set(blk, q->h.refcount_order, i, v);
	qcow2_cache_dirty(&q->rbc, slot);
	if (v == 0 && cluster < q->free_hint)
		q->free_hint = cluster;
	return 0;
}

/* The block covering cluster is missing (all its clusters are free): put a
 * new refcount block at cluster itself, counting itself. */
static int new_block_at(struct qcow2 *q, uint64_t cluster)
{
	uint64_t bi = cluster >> q->rb_bits;
	uint64_t off = cluster << q->cb;
	uint8_t *blk;
	int slot;
	int ret = qcow2_cache_get(q, &q->rbc, off, true, &blk, &slot);
	if (ret)
		return ret;
	qcow2_rb_set(blk, q->h.refcount_order, cluster & ((1ull << q->rb_bits) - 1), 1);
	qcow2_cache_dirty(&q->rbc, slot);
	/* block contents first, then the table entry (ordered by the barrier) */
	ret = qcow2_cache_writeback(q, &q->rbc);
	if (!ret)
		ret = bfile_sync(&q->f);
	if (ret)
		goto fail;
	uint64_t be = htobe64(off);
	ret = bfile_pwrite(&q->f, &be, 8, q->h.refcount_table_offset + bi * 8);
	if (ret)
		goto fail;
	q->rt[bi] = off;
	return 0;
fail:
	q->broken = true;
	qcow2_cache_drop(&q->rbc, off);
	disk_set_ioerr(&q->disk, "%s: qcow2 writing new refcount block: %s", q->disk.path,
		       strerror(-ret));
	return ret;
}

/* The refcount table does not reach cluster: write a bigger table plus the
 * refcount blocks that describe it at the end of the file, then switch the
 * header to it. */
static int grow_table(struct qcow2 *q, uint64_t cluster)
{
	uint64_t cs = q->cs;
	uint64_t start = (q->file_size + cs - 1) >> q->cb;
	if (start < cluster)
		start = cluster;
	uint64_t per_tc = cs / 8; /* table entries per table cluster */
	uint64_t t = q->h.refcount_table_clusters * 2ull, k = 0;
	for (int iter = 0; iter < 64; iter++) {
		uint64_t first_b = start >> q->rb_bits;
		uint64_t last_b = (start + t + k - 1) >> q->rb_bits;
		uint64_t nk = last_b - first_b + 1;
		uint64_t nt = (last_b + 1 + per_tc - 1) / per_tc;
		if (nt < t)
			nt = t;
		if (nk == k && nt == t)
			break;
		k = nk;
		t = nt;
	}
	if (t * cs > QCOW2_MAX_RT_BYTES || ((start + t + k) << q->cb) >= QCOW2_MAX_HOST_OFFSET) {
		disk_set_ioerr(&q->disk, "%s: qcow2 refcount table would exceed %u bytes",
			       q->disk.path, QCOW2_MAX_RT_BYTES);
		return -ENOSPC;
	}
	size_t tbytes = (size_t)(t * cs), kbytes = (size_t)(k * cs);
	uint8_t *buf = calloc(1, tbytes + kbytes);
	uint64_t *nrt = calloc(t * per_tc, 8);
	if (!buf || !nrt) {
		free(buf);
		free(nrt);
		return -ENOMEM;
	}
	memcpy(nrt, q->rt, q->rt_entries * 8);
	uint64_t first_b = start >> q->rb_bits;
	uint8_t *blocks = buf + tbytes;
	for (uint64_t j = 0; j < k; j++)
		nrt[first_b + j] = (start + t + j) << q->cb;
	for (uint64_t c = start; c < start + t + k; c++) {
		uint64_t j = (c >> q->rb_bits) - first_b;
		qcow2_rb_set(blocks + j * cs, q->h.refcount_order, c & ((1ull << q->rb_bits) - 1), 1);
	}
	for (uint64_t i = 0; i < t * per_tc; i++) {
		uint64_t be = htobe64(nrt[i]);
		memcpy(buf + i * 8, &be, 8);
	}
	uint64_t toff = start << q->cb;
	int ret = bfile_pwrite(&q->f, buf, tbytes + kbytes, toff);
	free(buf);
	if (!ret)
		ret = bfile_sync(&q->f);
	if (!ret) {
		/* offset (8 bytes at 48) and clusters (4 bytes at 56) in one write */
		uint8_t hdr[12];
		uint64_t o = htobe64(toff);
		uint32_t n = htobe32((uint32_t)t);
		memcpy(hdr, &o, 8);
		memcpy(hdr + 8, &n, 4);
		ret = bfile_pwrite(&q->f, hdr, 12, 48);
	}
	if (!ret)
		ret = bfile_sync(&q->f);
	if (ret) {
		free(nrt);
		q->broken = true;
		disk_set_ioerr(&q->disk, "%s: qcow2 growing the refcount table: %s", q->disk.path,
			       strerror(-ret));
		return ret;
	}
	uint64_t old_off = q->h.refcount_table_offset, old_n = q->h.refcount_table_clusters;
	free(q->rt);
	q->rt = nrt;
	q->rt_entries = t * per_tc;
	q->h.refcount_table_offset = toff;
	q->h.refcount_table_clusters = (uint32_t)t;
	if ((start + t + k) << q->cb > q->file_size)
		q->file_size = (start + t + k) << q->cb;
	/* the header no longer points at the old table: free it now */
	for (uint64_t i = 0; i < old_n; i++) {
		ret = qcow2_refcount_add(q, (old_off >> q->cb) + i, -1);
		if (ret)
			return ret;
	}
	return 0;
}

/* Whether cluster c holds metadata this image uses: the header, the L1 or
 * refcount table, a refcount block or an L2 table. A free refcount for one
 * of them means the image is corrupt; allocating it would let guest data
 * overwrite the metadata. */
static bool metadata_cluster(struct qcow2 *q, uint64_t c)
{
	uint64_t a = c << q->cb, l1 = q->h.l1_table_offset, rt = q->h.refcount_table_offset;

	if (c == 0 || (a + q->cs > l1 && a < l1 + (uint64_t)q->h.l1_size * 8) ||
	    (a + q->cs > rt && a < rt + ((uint64_t)q->h.refcount_table_clusters << q->cb)))
		return true;
	for (uint64_t i = 0; i < q->rt_entries; i++)
		if ((q->rt[i] & QCOW2_RTE_OFFSET_MASK) == a)
			return true;
	for (uint64_t i = 0; i < q->h.l1_size; i++)
		if ((q->l1[i] & QCOW2_L1E_OFFSET_MASK) == a)
			return true;
	return false;
}

int qcow2_alloc_cluster(struct qcow2 *q, uint64_t *off)
{
	uint64_t c = q->free_hint ? q->free_hint : 1;
	for (;;) {
		if ((c + 1) << q->cb > QCOW2_MAX_HOST_OFFSET || c > (UINT64_MAX >> q->cb)) {
			disk_set_ioerr(&q->disk, "%s: qcow2 image full (host offset limit)", q->disk.path);
			return -ENOSPC;
		}
		uint64_t bi = c >> q->rb_bits;
		if (bi >= q->rt_entries) {
			int ret = grow_table(q, c);
			if (ret)
				return ret;
			/* the new table and blocks occupy clusters from c on; rescan */
			continue;
		}
		uint64_t boff;
		int ret = block_for(q, c, &boff);
		if (ret)
			return ret;
		if (!boff) {
			ret = new_block_at(q, c);
			if (ret)
				return ret;
			if ((c + 1) << q->cb > q->file_size)
				q->file_size = (c + 1) << q->cb;
			c++;
			continue;
		}
		uint8_t *blk;
		int slot;
		ret = qcow2_cache_get(q, &q->rbc, boff, false, &blk, &slot);
		if (ret)
			return ret;
		uint64_t n = 1ull << q->rb_bits;
		uint64_t i = c & (n - 1);
		while (i < n && qcow2_rb_get(blk, q->h.refcount_order, i))
			i++;
		if (i == n) {
			c = (bi + 1) << q->rb_bits;
			continue;
		}
		c = (bi << q->rb_bits) + i;
		if (metadata_cluster(q, c)) {
			disk_set_ioerr(&q->disk, "%s: qcow2 refcount of metadata cluster %" PRIu64
				       " is 0 (image corrupt; `vmdeck img check`)", q->disk.path, c);
			return -EIO;
		}
		qcow2_rb_set(blk, q->h.refcount_order, i, 1);
		qcow2_cache_dirty(&q->rbc, slot);
		q->free_hint = c + 1;
		*off = c << q->cb;
		if (*off + q->cs > q->file_size)
			q->file_size = *off + q->cs;
		return 0;
	}
}

int qcow2_free_later(struct qcow2 *q, uint64_t cluster)
{
	if (q->npending == QCOW2_PENDING_FREE_MAX) {
		int ret = qcow2_flush_metadata(q);
		if (ret)
			return ret;
	}
	q->pending_free[q->npending++] = cluster;
	return 0;
}

static int write_l1(struct qcow2 *q)
{
	if (q->l1_dirty_lo > q->l1_dirty_hi)
		return 0;
	uint64_t lo = q->l1_dirty_lo, n = q->l1_dirty_hi - lo + 1;
	uint64_t *be = malloc(n * 8);
	if (!be)
		return -ENOMEM;
	for (uint64_t i = 0; i < n; i++)
		be[i] = htobe64(q->l1[lo + i]);
	int ret = bfile_pwrite(&q->f, be, n * 8, q->h.l1_table_offset + lo * 8);
	free(be);
	if (ret)
		return ret;
	q->l1_dirty_lo = UINT64_MAX;
	q->l1_dirty_hi = 0;
	return 0;
}

static bool l2_dirty(const struct qcow2 *q)
{
	for (unsigned i = 0; i < q->l2c.n; i++) {
		if (q->l2c.e[i].off && q->l2c.e[i].dirty)
			return true;
	}
	return q->l1_dirty_lo <= q->l1_dirty_hi;
}

int qcow2_flush_metadata(struct qcow2 *q)
{
	if (q->disk.readonly)
		return 0;
	if (q->broken)
		return -EIO;
	/* 1. refcounts (increments), then a barrier */
	int ret = qcow2_cache_writeback(q, &q->rbc);
	if (!ret && l2_dirty(q)) {
		ret = bfile_sync(&q->f);
		/* 2. L2 tables, then L1 entries pointing at them */
		if (!ret)
			ret = qcow2_cache_writeback(q, &q->l2c);
		if (!ret && q->l1_dirty_lo <= q->l1_dirty_hi) {
			ret = bfile_sync(&q->f);
			if (!ret)
				ret = write_l1(q);
		}
	}
	/* 3. decrements for clusters the now-written tables no longer use */
	if (!ret && q->npending) {
		ret = bfile_sync(&q->f);
		for (size_t i = 0; !ret && i < q->npending; i++)
			ret = qcow2_refcount_add(q, q->pending_free[i], -1);
		q->npending = 0;
		if (!ret)
			ret = qcow2_cache_writeback(q, &q->rbc);
	}
	if (ret) {
		q->broken = true;
		if (!q->disk.errmsg[0])
			disk_set_ioerr(&q->disk, "%s: qcow2 metadata write failed: %s", q->disk.path,
				       strerror(-ret));
	}
	return ret;
}

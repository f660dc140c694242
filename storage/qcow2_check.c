/* qcow2 consistency check: recompute every cluster's reference count from
 * the metadata (header, L1/L2 tables of the active state and of internal
 * snapshots, refcount structures, snapshot table) and compare with the stored
 * refcounts. Stored < computed is corruption (a cluster could be reused while
 * in use); stored > computed is a leak (space lost, data safe). Also checks
 * the COPIED flags, which must say "refcount == 1" in the active tables. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qcow2_int.h"

#define CHECK_MAX_CLUSTERS (1ull << 28) /* 1 GiB of counters at most */

struct checker {
	struct qcow2 *q;
	uint32_t *refs;
	uint64_t nclusters;
	struct qcow2_check_result *res;
	qcow2_check_report_fn report;
	void *ctx;
	unsigned reported;
};

static void say(struct checker *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct checker *k, const char *fmt, ...)
{
	if (!k->report || k->reported >= 200) /* bounded output on a wrecked image */
		return;
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	k->reported++;
	k->report(k->ctx, buf);
}

/* Count one reference to each cluster of [off, off+len). */
static bool mark(struct checker *k, uint64_t off, uint64_t len, const char *what)
{
	if (!len)
		return true;
	uint64_t first = off >> k->q->cb, last = (off + len - 1) >> k->q->cb;
	if (off + len < off || last >= k->nclusters) {
		k->res->corruptions++;
		say(k, "ERROR %s at 0x%" PRIx64 " is past the end of the image file", what, off);
		return false;
	}
	for (uint64_t c = first; c <= last; c++) {
		if (k->refs[c] != UINT32_MAX)
			k->refs[c]++;
	}
	return true;
}

static int read_be64s(struct qcow2 *q, uint64_t off, uint64_t n, uint64_t *out)
{
	int ret = bfile_pread(&q->f, out, n * 8, off);
	if (ret)
		return ret;
	for (uint64_t i = 0; i < n; i++)
		out[i] = be64toh(out[i]);
	return 0;
}

/* Walk one L1 table; active: check COPIED flags (after refcounts are known
 * -- done in a second pass by walk_copied). */
static int walk_l1(struct checker *k, const uint64_t *l1, uint64_t l1n, bool active, uint64_t *l2)
{
	struct qcow2 *q = k->q;
	for (uint64_t i = 0; i < l1n; i++) {
		uint64_t off = l1[i] & QCOW2_L1E_OFFSET_MASK;
		if (!off)
			continue;
		if (off & (q->cs - 1)) {
			k->res->corruptions++;
			say(k, "ERROR L1 entry %" PRIu64 ": L2 table offset 0x%" PRIx64 " misaligned", i, off);
			continue;
		}
		if (!mark(k, off, q->cs, "L2 table"))
			continue;
		int ret = read_be64s(q, off, q->l2_entries, l2);
		if (ret)
			return ret;
		for (uint64_t j = 0; j < q->l2_entries; j++) {
			uint64_t e = l2[j];
			if (!e)
				continue;
			if (e & QCOW2_OFLAG_COMPRESSED) {
				uint64_t coff, clen;
				qcow2_compressed_range(q, e, &coff, &clen);
				if (active) {
					k->res->compressed_clusters++;
					k->res->allocated_clusters++;
				}
				mark(k, coff, clen, "compressed cluster");
				continue;
			}
			uint64_t h = e & QCOW2_L2E_OFFSET_MASK;
			if (active)
				k->res->allocated_clusters++;
			if (!h)
				continue;
			if (h & (q->cs - 1)) {
				k->res->corruptions++;
				say(k, "ERROR L2 entry: cluster offset 0x%" PRIx64 " misaligned", h);
				continue;
			}
			mark(k, h, q->cs, "data cluster");
		}
	}
	return 0;
}

/* Second pass over the active tables: COPIED must equal (refcount == 1). */
static int walk_copied(struct checker *k, uint64_t *l2, uint64_t *stored_rc_fail)
{
	struct qcow2 *q = k->q;
	for (uint64_t i = 0; i < q->h.l1_size; i++) {
		uint64_t off = q->l1[i] & QCOW2_L1E_OFFSET_MASK;
		if (!off || (off & (q->cs - 1)) || (off >> q->cb) >= k->nclusters)
			continue;
		uint64_t rc;
		if (qcow2_refcount_get(q, off >> q->cb, &rc)) {
			(*stored_rc_fail)++;
			continue;
		}
		if ((rc == 1) != !!(q->l1[i] & QCOW2_OFLAG_COPIED)) {
			k->res->corruptions++;
			say(k, "ERROR OFLAG_COPIED L2 cluster: l1_index=%" PRIu64 " l1_entry=%" PRIx64
			    " refcount=%" PRIu64, i, q->l1[i], rc);
		}
		int ret = read_be64s(q, off, q->l2_entries, l2);
		if (ret)
			return ret;
		for (uint64_t j = 0; j < q->l2_entries; j++) {
			uint64_t e = l2[j];
			uint64_t h = e & QCOW2_L2E_OFFSET_MASK;
			if (!h || (e & QCOW2_OFLAG_COMPRESSED) || (h & (q->cs - 1)) ||
			    (h >> q->cb) >= k->nclusters)
				continue;
			if (qcow2_refcount_get(q, h >> q->cb, &rc)) {
				(*stored_rc_fail)++;
				continue;
			}
			if ((rc == 1) != !!(e & QCOW2_OFLAG_COPIED)) {
				k->res->corruptions++;
				say(k, "ERROR OFLAG_COPIED data cluster: l2_entry=%" PRIx64 " refcount=%" PRIu64,
				    e, rc);
			}
		}
	}
	return 0;
}

/* Snapshot table (spec "Snapshots"): mark the table and walk each L1. */
static int walk_snapshots(struct checker *k, uint64_t *l2)
{
	struct qcow2 *q = k->q;
	uint64_t pos = q->h.snapshots_offset;
	for (uint32_t s = 0; s < q->h.nb_snapshots; s++) {
		uint8_t e[40];
		if (pos + 40 > q->file_size) {
			k->res->corruptions++;
			say(k, "ERROR snapshot table entry %u past end of file", s);
			return 0;
		}
		int ret = bfile_pread(&q->f, e, 40, pos);
		if (ret)
			return ret;
		uint64_t l1off;
		uint32_t l1n, extra;
		uint16_t idlen, namelen;
		memcpy(&l1off, e, 8);
		memcpy(&l1n, e + 8, 4);
		memcpy(&idlen, e + 12, 2);
		memcpy(&namelen, e + 14, 2);
		memcpy(&extra, e + 36, 4);
		l1off = be64toh(l1off);
		l1n = be32toh(l1n);
		idlen = be16toh(idlen);
		namelen = be16toh(namelen);
		extra = be32toh(extra);
		if (extra > 1024 || (uint64_t)l1n * 8 > QCOW2_MAX_L1_BYTES || (l1off & (q->cs - 1))) {
			k->res->corruptions++;
			say(k, "ERROR snapshot %u: invalid entry", s);
			return 0;
		}
		uint64_t len = 40ull + extra + idlen + namelen;
		len = (len + 7) & ~7ull;
		mark(k, pos, len, "snapshot table");
		pos += len;
		if (!l1n)
			continue;
		if (!mark(k, l1off, (uint64_t)l1n * 8, "snapshot L1 table"))
			continue;
		uint64_t *l1 = malloc((uint64_t)l1n * 8);
		if (!l1)
			return -ENOMEM;
		ret = read_be64s(q, l1off, l1n, l1);
		if (!ret)
			ret = walk_l1(k, l1, l1n, false, l2);
		free(l1);
		if (ret)
			return ret;
	}
	return 0;
}

int qcow2_check(const char *path, bool repair_leaks, struct qcow2_check_result *res,
		qcow2_check_report_fn report, void *ctx, char *err, size_t errlen)
{
	memset(res, 0, sizeof(*res));
	struct disk_open_opts o = { .readonly = !repair_leaks, .no_backing = true };
	struct disk *d;
	/* the open path validates the header and table placement; a failure
	 * there is an image we cannot check at all */
	int ret = disk_open(path, "qcow2", &o, &d, err, errlen);
	if (ret)
		return ret;
	struct qcow2 *q = Q(d);
	struct checker k = { .q = q, .res = res, .report = report, .ctx = ctx };
	uint64_t *l2 = NULL;
	k.nclusters = (q->file_size + q->cs - 1) >> q->cb;
	if (k.nclusters > CHECK_MAX_CLUSTERS) {
		disk_seterr(err, errlen, "%s: image too large to check (%" PRIu64 " clusters)", path,
			    k.nclusters);
		ret = -EFBIG;
		goto out;
	}
	k.refs = calloc(k.nclusters ? k.nclusters : 1, sizeof(uint32_t));
	l2 = malloc(q->cs);
	if (!k.refs || !l2) {
		ret = -ENOMEM;
		goto out;
	}
	res->total_clusters = (q->h.size + q->cs - 1) >> q->cb;
	mark(&k, 0, q->cs, "header");
	mark(&k, q->h.l1_table_offset, (uint64_t)q->h.l1_size * 8, "L1 table");
	mark(&k, q->h.refcount_table_offset, (uint64_t)q->h.refcount_table_clusters << q->cb,
	     "refcount table");
	for (uint64_t i = 0; i < q->rt_entries; i++) {
		uint64_t off = q->rt[i] & QCOW2_RTE_OFFSET_MASK;
		if (!off)
			continue;
		if (off & (q->cs - 1)) {
			res->corruptions++;
			say(&k, "ERROR refcount block %" PRIu64 " misaligned (0x%" PRIx64 ")", i, off);
			continue;
		}
		mark(&k, off, q->cs, "refcount block");
	}
	ret = walk_l1(&k, q->l1, q->h.l1_size, true, l2);
	if (!ret)
		ret = walk_snapshots(&k, l2);
	if (ret) {
		disk_seterr(err, errlen, "%s: reading metadata: %s", path, strerror(-ret));
		goto out;
	}
	/* compare with the stored refcounts */
	uint64_t unreadable = 0;
	for (uint64_t c = 0; c < k.nclusters; c++) {
		uint64_t rc;
		if (qcow2_refcount_get(q, c, &rc)) {
			unreadable++;
			continue;
		}
		if (rc < k.refs[c]) {
			res->corruptions++;
			say(&k, "ERROR cluster %" PRIu64 " refcount=%" PRIu64 " reference=%u", c, rc,
			    k.refs[c]);
		} else if (rc > k.refs[c]) {
			res->leaks++;
			say(&k, "Leaked cluster %" PRIu64 " refcount=%" PRIu64 " reference=%u", c, rc,
			    k.refs[c]);
		}
		if (k.refs[c] || rc)
			res->image_end_offset = (c + 1) << q->cb;
	}
	/* refcounts for clusters past the end of the file are leaks */
	for (uint64_t bi = 0; bi < q->rt_entries; bi++) {
		uint64_t base = bi << q->rb_bits;
		uint64_t n = 1ull << q->rb_bits;
		if (!(q->rt[bi] & QCOW2_RTE_OFFSET_MASK) || base + n <= k.nclusters)
			continue;
		for (uint64_t c = base > k.nclusters ? base : k.nclusters; c < base + n; c++) {
			uint64_t rc;
			if (qcow2_refcount_get(q, c, &rc))
				break;
			if (rc) {
				res->leaks++;
				say(&k, "Leaked cluster %" PRIu64 " (past end of file) refcount=%" PRIu64, c, rc);
			}
		}
	}
	ret = walk_copied(&k, l2, &unreadable);
	if (ret)
		goto out;
	if (unreadable) {
		res->corruptions += unreadable;
		say(&k, "ERROR %" PRIu64 " refcounts could not be read (bad refcount blocks)", unreadable);
	}
	if (repair_leaks && res->leaks && !res->corruptions) {
		for (uint64_t c = 0; c < k.nclusters; c++) {
			uint64_t rc;
			if (qcow2_refcount_get(q, c, &rc) || rc <= k.refs[c])
				continue;
			ret = qcow2_refcount_add(q, c, -(int)(rc - k.refs[c] > 0x7fffffff ? 0x7fffffff
									     : rc - k.refs[c]));
			if (ret)
				goto out;
			res->leaks_fixed++;
		}
		ret = qcow2_flush_metadata(q);
		if (!ret)
			ret = bfile_sync(&q->f);
		if (ret) {
			disk_seterr(err, errlen, "%s: repairing leaks: %s", path, strerror(-ret));
			goto out;
		}
	}
	ret = 0;
out:
	free(k.refs);
	free(l2);
	disk_close(d);
	return ret;
}

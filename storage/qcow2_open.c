/* qcow2 open/close: header validation, L1 and refcount table loading with
 * sizes capped first, backing chain (format from the header extension, never
 * probed), feature-bit policy. */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qcow2_int.h"

/* Ranges [a, a+alen) and [b, b+blen) intersect. */
static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return alen && blen && a < b + blen && b < a + alen;
}

static int load_tables(struct qcow2 *q, char *err, size_t errlen)
{
	struct qcow2_header *h = &q->h;
	const char *path = q->disk.path;
	uint64_t cs = q->cs;

	/* L1: large enough for the virtual size, capped, aligned, in the file */
	uint64_t per_l1 = q->l2_entries << q->cb; /* bytes one L1 entry maps */
	uint64_t need = h->size / per_l1 + (h->size % per_l1 != 0);
	if ((uint64_t)h->l1_size * 8 > QCOW2_MAX_L1_BYTES) {
		disk_seterr(err, errlen, "%s: qcow2 l1_size %u too large (cap %u bytes)", path,
			    h->l1_size, QCOW2_MAX_L1_BYTES);
		return -EFBIG;
	}
	if (h->l1_size < need) {
		disk_seterr(err, errlen, "%s: qcow2 L1 table (%u entries) too small for virtual size %"
			    PRIu64, path, h->l1_size, h->size);
		return -EINVAL;
	}
	uint64_t l1_bytes = (uint64_t)h->l1_size * 8;
	if (h->l1_size && ((h->l1_table_offset & (cs - 1)) || h->l1_table_offset < cs ||
			   h->l1_table_offset > q->file_size || l1_bytes > q->file_size - h->l1_table_offset)) {
		disk_seterr(err, errlen, "%s: qcow2 L1 table offset 0x%" PRIx64
			    " misaligned, in the header or past end of file", path, h->l1_table_offset);
		return -EINVAL;
	}
	/* refcount table */
	uint64_t rt_bytes = (uint64_t)h->refcount_table_clusters << q->cb;
	if (h->refcount_table_clusters == 0 || rt_bytes > QCOW2_MAX_RT_BYTES) {
		disk_seterr(err, errlen, "%s: qcow2 refcount_table_clusters %u invalid (cap %u bytes)",
			    path, h->refcount_table_clusters, QCOW2_MAX_RT_BYTES);
		return -EFBIG;
	}
	if ((h->refcount_table_offset & (cs - 1)) || h->refcount_table_offset < cs ||
	    h->refcount_table_offset > q->file_size || rt_bytes > q->file_size - h->refcount_table_offset) {
		disk_seterr(err, errlen, "%s: qcow2 refcount table offset 0x%" PRIx64
			    " misaligned, in the header or past end of file", path,
			    h->refcount_table_offset);
		return -EINVAL;
	}
	if (overlaps(h->l1_table_offset, l1_bytes, h->refcount_table_offset, rt_bytes)) {
		disk_seterr(err, errlen, "%s: qcow2 L1 table and refcount table overlap", path);
		return -EINVAL;
	}
	if (h->nb_snapshots && (h->snapshots_offset & (cs - 1))) {
		disk_seterr(err, errlen, "%s: qcow2 snapshot table misaligned", path);
		return -EINVAL;
	}
	q->l1 = calloc(h->l1_size ? h->l1_size : 1, 8);
	q->rt_entries = rt_bytes / 8;
	q->rt = calloc(q->rt_entries, 8);
	if (!q->l1 || !q->rt)
		return -ENOMEM;
	int ret = bfile_pread(&q->f, q->l1, l1_bytes, h->l1_table_offset);
	if (!ret)
		ret = bfile_pread(&q->f, q->rt, rt_bytes, h->refcount_table_offset);
	if (ret) {
		disk_seterr(err, errlen, "%s: reading qcow2 tables: %s", path, strerror(-ret));
		return ret;
	}
	for (uint64_t i = 0; i < h->l1_size; i++)
		q->l1[i] = be64toh(q->l1[i]);
	for (uint64_t i = 0; i < q->rt_entries; i++)
		q->rt[i] = be64toh(q->rt[i]);
	q->l1_dirty_lo = UINT64_MAX;
	q->l1_dirty_hi = 0;
	return 0;
}

/* Backing file names are relative to the directory of the image naming them. */
static char *resolve_backing(const char *image, const char *name)
{
	if (name[0] == '/')
		return strdup(name);
	char *dup = strdup(image);
	if (!dup)
		return NULL;
	char *dir = dirname(dup);
	char *out = NULL;
	if (asprintf(&out, "%s/%s", dir, name) < 0)
		out = NULL;
	free(dup);
	return out;
}

static void qcow2_close(struct disk *d)
{
	struct qcow2 *q = Q(d);
	if (!d->readonly && q->l1)
		qcow2_flush_metadata(q);
	disk_close(d->backing);
	qcow2_compress_free(q);
	qcow2_cache_free(&q->l2c);
	qcow2_cache_free(&q->rbc);
	bfile_close(&q->f);
	free(q->l1);
	free(q->rt);
	free(q->pending_free);
	free(q->cbuf);
	free(q->zin);
	free(q->zout);
	free(d->backing_path);
	free(d->path);
	free(q);
}

static const struct disk_ops qcow2_ops = {
	.preadv = qcow2_preadv,
	.pwritev = qcow2_pwritev,
	.flush = qcow2_flush,
	.discard = qcow2_discard,
	.write_zeroes = qcow2_write_zeroes,
	.block_status = qcow2_block_status,
	.close = qcow2_close,
};

int qcow2_open(const char *path, const struct disk_open_opts *opts, struct disk_chain *chain,
	       struct disk **out, char *err, size_t errlen)
{
	struct qcow2 *q = calloc(1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	q->f.fd = -1;
	q->disk.ops = &qcow2_ops;
	q->disk.format = "qcow2";
	q->disk.readonly = opts->readonly;
	q->disk.path = strdup(path);
	uint8_t *c0 = NULL;
	int ret = -ENOMEM;
	if (!q->disk.path)
		goto fail;
	ret = bfile_open(&q->f, q->disk.path, opts->readonly, opts->cache, err, errlen);
	if (ret)
		goto fail;
	ret = bfile_size(&q->f, &q->file_size);
	if (ret) {
		disk_seterr(err, errlen, "%s: %s", path, strerror(-ret));
		goto fail;
	}
	ret = qcow2_read_header(&q->f, q->file_size, &q->h, &c0, err, errlen);
	free(c0);
	if (ret)
		goto fail;
	struct qcow2_header *h = &q->h;
	q->cb = h->cluster_bits;
	q->cs = 1ull << q->cb;
	q->l2_bits = q->cb - 3;
	q->l2_entries = 1ull << q->l2_bits;
	q->rb_bits = q->cb + 3 - h->refcount_order;
	q->disk.size = h->size;
	q->writethrough = opts->cache == DISK_CACHE_WRITETHROUGH;

	if (!opts->readonly) {
		if (h->incompatible & QCOW2_INCOMPAT_CORRUPT) {
			disk_seterr(err, errlen, "%s: qcow2 image is marked corrupt; it can only be "
				    "opened read-only (repair it with qemu-img check -r all)", path);
			ret = -EUCLEAN;
			goto fail;
		}
		if (h->incompatible & QCOW2_INCOMPAT_DIRTY) {
			disk_seterr(err, errlen, "%s: qcow2 dirty bit set (lazy refcounts were in use); "
				    "refcounts must be repaired first (qemu-img check -r all)", path);
			ret = -EUCLEAN;
			goto fail;
		}
		if (h->nb_snapshots) {
			disk_seterr(err, errlen, "%s: qcow2 image has %u internal snapshots; writing such "
				    "images is not supported (open read-only)", path, h->nb_snapshots);
			ret = -ENOTSUP;
			goto fail;
		}
		if (h->version < 3) {
			disk_seterr(err, errlen, "%s: qcow2 version 2 images are read-only here "
				    "(convert or amend to version 3)", path);
			ret = -ENOTSUP;
			goto fail;
		}
	}
	ret = load_tables(q, err, errlen);
	if (ret)
		goto fail;

	unsigned l2n = opts->l2_cache_tables;
	if (!l2n) {
		l2n = (unsigned)((1u << 20) >> q->cb);
		if (l2n < 16)
			l2n = 16;
	}
	if (l2n > 4096)
		l2n = 4096;
	unsigned rbn = (unsigned)((256u << 10) >> q->cb);
	if (rbn < 8)
		rbn = 8;
	ret = qcow2_cache_init(&q->l2c, l2n, q->cs, true);
	if (!ret)
		ret = qcow2_cache_init(&q->rbc, rbn, q->cs, false);
	if (ret)
		goto fail;
	q->pending_free = calloc(QCOW2_PENDING_FREE_MAX, sizeof(uint64_t));
	q->cbuf = malloc(q->cs);
	if (!q->pending_free || !q->cbuf) {
		ret = -ENOMEM;
		goto fail;
	}
	q->free_hint = 1;

	if (h->backing_file[0]) {
		q->disk.backing_path = resolve_backing(path, h->backing_file);
		if (!q->disk.backing_path) {
			ret = -ENOMEM;
			goto fail;
		}
		const char *bfmt = h->has_backing_fmt ? h->backing_fmt : opts->backing_format;
		if (!opts->no_backing) {
			if (!bfmt) {
				disk_seterr(err, errlen, "%s: backing file '%s' has no recorded format "
					    "(formats are never probed; give it explicitly)", path,
					    h->backing_file);
				ret = -EINVAL;
				goto fail;
			}
			if (disk_check_format(bfmt)) {
				disk_seterr(err, errlen, "%s: backing file format '%s' not supported", path,
					    bfmt);
				ret = -ENOTSUP;
				goto fail;
			}
			/* backing files are always read-only; the explicit format
			 * applies to the first backing file only */
			struct disk_open_opts bo = *opts;
			bo.readonly = true;
			bo.backing_format = NULL;
			char berr[512];
			ret = disk_open_chain(q->disk.backing_path, bfmt, &bo, chain, &q->disk.backing,
					      berr, sizeof(berr));
			if (ret) {
				/* inner messages name their own file; add the top image once */
				if (chain->depth == 1)
					disk_seterr(err, errlen, "%s (in the backing chain of %s)", berr, path);
				else
					disk_seterr(err, errlen, "%s", berr);
				goto fail;
			}
		}
	}
	if (!opts->readonly && h->autoclear) {
		/* spec: unknown auto-clear bits must be cleared before writing;
		 * we maintain no bitmaps, so clearing bit 0 is right as well */
		ret = qcow2_write_header_field(q, 88, 0, 8);
		if (!ret)
			ret = bfile_sync(&q->f);
		if (ret) {
			disk_seterr(err, errlen, "%s: clearing autoclear features: %s", path,
				    strerror(-ret));
			goto fail;
		}
		h->autoclear = 0;
	}
	*out = &q->disk;
	return 0;
fail:
	q->disk.readonly = true; /* nothing to flush */
	qcow2_close(&q->disk);
	return ret;
}

int qcow2_get_info(struct disk *d, struct qcow2_info *o)
{
	if (!d || d->ops != &qcow2_ops)
		return -EINVAL;
	struct qcow2 *q = Q(d);
	memset(o, 0, sizeof(*o));
	o->version = q->h.version;
	o->cluster_size = q->cs;
	o->refcount_bits = 1u << q->h.refcount_order;
	o->incompatible = q->h.incompatible;
	o->compatible = q->h.compatible;
	o->autoclear = q->h.autoclear;
	o->dirty = q->h.incompatible & QCOW2_INCOMPAT_DIRTY;
	o->corrupt = q->h.incompatible & QCOW2_INCOMPAT_CORRUPT;
	o->lazy_refcounts = q->h.compatible & QCOW2_COMPAT_LAZY_REFCOUNTS;
	o->nb_snapshots = q->h.nb_snapshots;
	o->compression_type = q->h.compression_type;
	o->l1_size = q->h.l1_size;
	snprintf(o->backing_file, sizeof(o->backing_file), "%s", q->h.backing_file);
	if (q->h.has_backing_fmt)
		snprintf(o->backing_fmt, sizeof(o->backing_fmt), "%s", q->h.backing_fmt);
	return 0;
}

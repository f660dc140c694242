/* Bounded LRU cache of one-cluster metadata tables (L2 tables, refcount
 * blocks). Write-back: dirty tables are written on eviction and on flush.
 * Ordering (crash safety): a dirty L2 table may point at clusters whose
 * refcount increments are still only in the refcount cache, so before an L2
 * table is written all dirty refcount blocks are written and synced. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "qcow2_int.h"

int qcow2_cache_init(struct qcow2_cache *c, unsigned n, uint64_t cs, bool is_l2)
{
	memset(c, 0, sizeof(*c));
	c->e = calloc(n, sizeof(*c->e));
	if (!c->e)
		return -ENOMEM;
	if (posix_memalign((void **)&c->mem, 4096, (size_t)n * cs)) {
		free(c->e);
		c->e = NULL;
		return -ENOMEM;
	}
	for (unsigned i = 0; i < n; i++)
		c->e[i].data = c->mem + (size_t)i * cs;
	c->n = n;
	c->is_l2 = is_l2;
	return 0;
}

void qcow2_cache_free(struct qcow2_cache *c)
{
	free(c->e);
	free(c->mem);
	c->e = NULL;
	c->mem = NULL;
}

static int write_refcounts_synced(struct qcow2 *q)
{
	int ret = qcow2_cache_writeback(q, &q->rbc);
	if (!ret)
		ret = bfile_sync(&q->f);
	return ret;
}

static int write_entry(struct qcow2 *q, struct qcow2_cache *c, struct qcow2_cache_entry *e)
{
	int ret = bfile_pwrite(&q->f, e->data, q->cs, e->off);
	if (ret) {
		q->broken = true;
		disk_set_ioerr(&q->disk, "%s: writing %s at %" PRIu64 ": %s", q->disk.path,
			       c->is_l2 ? "L2 table" : "refcount block", e->off, strerror(-ret));
		return ret;
	}
	e->dirty = false;
	if (e->off + q->cs > q->file_size)
		q->file_size = e->off + q->cs;
	return 0;
}

int qcow2_cache_get(struct qcow2 *q, struct qcow2_cache *c, uint64_t off, bool fresh,
		    uint8_t **data, int *slot)
{
	int victim = -1;
	for (unsigned i = 0; i < c->n; i++) {
		struct qcow2_cache_entry *e = &c->e[i];
		if (e->off == off) {
			e->lru = ++c->tick;
			c->hits++;
			if (fresh)
				memset(e->data, 0, q->cs);
			*data = e->data;
			*slot = (int)i;
			return 0;
		}
		if (victim < 0 || e->off == 0 ||
		    (c->e[victim].off != 0 && e->lru < c->e[victim].lru))
			victim = (int)i;
	}
	c->misses++;
	struct qcow2_cache_entry *e = &c->e[victim];
	if (e->off && e->dirty) {
		c->evictions++;
		int ret = c->is_l2 ? write_refcounts_synced(q) : 0;
		if (!ret)
			ret = write_entry(q, c, e);
		if (ret)
			return ret;
	}
	e->off = 0;
	if (fresh) {
		memset(e->data, 0, q->cs);
	} else {
		int ret = bfile_pread(&q->f, e->data, q->cs, off);
		if (ret) {
			disk_set_ioerr(&q->disk, "%s: reading %s at %" PRIu64 ": %s", q->disk.path,
				       c->is_l2 ? "L2 table" : "refcount block", off, strerror(-ret));
			return ret;
		}
	}
	e->off = off;
	e->dirty = false;
	e->lru = ++c->tick;
	*data = e->data;
	*slot = victim;
	return 0;
}

void qcow2_cache_dirty(struct qcow2_cache *c, int slot)
{
	c->e[slot].dirty = true;
}

int qcow2_cache_writeback(struct qcow2 *q, struct qcow2_cache *c)
{
	for (unsigned i = 0; i < c->n; i++) {
		struct qcow2_cache_entry *e = &c->e[i];
		if (e->off && e->dirty) {
			int ret = write_entry(q, c, e);
			if (ret)
				return ret;
		}
	}
	return 0;
}

void qcow2_cache_drop(struct qcow2_cache *c, uint64_t off)
{
	for (unsigned i = 0; i < c->n; i++) {
		if (c->e[i].off == off) {
			c->e[i].off = 0;
			c->e[i].dirty = false;
		}
	}
}

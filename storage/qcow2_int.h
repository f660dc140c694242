/* qcow2 internals shared by qcow2_*.c. Spec: QEMU docs/interop/qcow2.txt. */
#ifndef VMDECK_STORAGE_QCOW2_INT_H
#define VMDECK_STORAGE_QCOW2_INT_H

#include <endian.h>

#include "disk_internal.h"
#include "qcow2.h"

#define QCOW2_MAGIC 0x514649fbu /* "QFI\xfb" */

/* Header: incompatible_features (spec "Header", bytes 72-79) */
#define QCOW2_INCOMPAT_DIRTY       (1ull << 0)
#define QCOW2_INCOMPAT_CORRUPT     (1ull << 1)
#define QCOW2_INCOMPAT_DATA_FILE   (1ull << 2)
#define QCOW2_INCOMPAT_COMPRESSION (1ull << 3)
#define QCOW2_INCOMPAT_EXTL2       (1ull << 4)
#define QCOW2_COMPAT_LAZY_REFCOUNTS (1ull << 0)

/* Header extension types (spec "Header extensions") */
#define QCOW2_EXT_END          0x00000000u
#define QCOW2_EXT_BACKING_FMT  0xe2792acau
#define QCOW2_EXT_FEATURE_NAME 0x6803f857u
#define QCOW2_EXT_DATA_FILE    0x44415441u

/* Table entries (spec "Cluster mapping", "Host cluster management") */
#define QCOW2_OFLAG_COPIED     (1ull << 63)
#define QCOW2_OFLAG_COMPRESSED (1ull << 62)
#define QCOW2_OFLAG_ZERO       (1ull << 0)
#define QCOW2_L1E_OFFSET_MASK  0x00fffffffffffe00ull
#define QCOW2_L2E_OFFSET_MASK  0x00fffffffffffe00ull
#define QCOW2_RTE_OFFSET_MASK  0xfffffffffffffe00ull
#define QCOW2_MAX_HOST_OFFSET  (1ull << 56)

/* Caps applied before allocating anything sized by the file (QEMU's own
 * implementation limits, per the spec notes on l1_size and the refcount table). */
#define QCOW2_MAX_L1_BYTES   (32u << 20)
#define QCOW2_MAX_RT_BYTES   (8u << 20)
#define QCOW2_MIN_CLUSTER_BITS 9
#define QCOW2_MAX_CLUSTER_BITS 21
#define QCOW2_MAX_BACKING_NAME 1023
#define QCOW2_MAX_VIRTUAL_SIZE (1ull << 61)
#define QCOW2_PENDING_FREE_MAX 8192

struct qcow2_header {
	uint32_t version;
	uint64_t backing_file_offset;
	uint32_t backing_file_size;
	uint32_t cluster_bits;
	uint64_t size;
	uint32_t crypt_method;
	uint32_t l1_size;
	uint64_t l1_table_offset;
	uint64_t refcount_table_offset;
	uint32_t refcount_table_clusters;
	uint32_t nb_snapshots;
	uint64_t snapshots_offset;
	uint64_t incompatible, compatible, autoclear;
	uint32_t refcount_order;
	uint32_t header_length;
	uint8_t compression_type;
	char backing_file[QCOW2_MAX_BACKING_NAME + 1];
	char backing_fmt[64];
	bool has_backing_fmt;
};

/* A small fully-associative cache of one-cluster tables (L2 tables or
 * refcount blocks) with LRU replacement. Tables are kept big-endian, as on
 * disk. */
struct qcow2_cache_entry {
	uint64_t off; /* host offset; 0 = empty slot */
	uint64_t lru;
	bool dirty;
	uint8_t *data;
};

struct qcow2_cache {
	unsigned n;
	uint64_t tick;
	struct qcow2_cache_entry *e;
	uint8_t *mem;
	bool is_l2; /* dirty L2 tables may only be written after refcounts */
	uint64_t hits, misses, evictions;
};

struct qcow2 {
	struct disk disk; /* first: struct disk * <-> struct qcow2 * */
	struct bfile f;
	struct qcow2_header h;
	uint64_t cs;          /* cluster size */
	unsigned cb;          /* cluster bits */
	uint64_t l2_entries;  /* entries per L2 table */
	unsigned l2_bits;
	uint64_t *l1;         /* host byte order */
	uint64_t l1_dirty_lo, l1_dirty_hi; /* dirty index range, lo > hi = clean */
	uint64_t *rt;         /* refcount table, host byte order */
	uint64_t rt_entries;
	unsigned rb_bits;     /* log2(refcount entries per block) */
	uint64_t file_size;   /* size at open, grown as we write */
	uint64_t free_hint;   /* first cluster index that may be free */
	struct qcow2_cache l2c, rbc;
	uint64_t *pending_free; /* cluster indexes to decrement after L2 sync */
	size_t npending;
	bool writethrough;
	bool broken;          /* a metadata write failed: refuse further writes */
	uint8_t *cbuf;        /* one cluster of scratch for COW */
	uint8_t *zin;         /* compressed input, 2 clusters */
	uint8_t *zout;        /* one decompressed cluster */
	uint64_t zout_entry;  /* L2 entry zout holds, 0 = none */
	void *zstd_dctx;
};

#define Q(d) ((struct qcow2 *)(d))

/* qcow2_header.c */
int qcow2_read_header(struct bfile *f, uint64_t file_size, struct qcow2_header *h,
		      uint8_t **cluster0, char *err, size_t errlen);
int qcow2_write_header_field(struct qcow2 *q, unsigned off, uint64_t val, unsigned width);

/* qcow2_cache.c */
int qcow2_cache_init(struct qcow2_cache *c, unsigned n, uint64_t cs, bool is_l2);
void qcow2_cache_free(struct qcow2_cache *c);
/* Loads (or, for fresh=true, zero-fills without reading) the table at off. */
int qcow2_cache_get(struct qcow2 *q, struct qcow2_cache *c, uint64_t off, bool fresh,
		    uint8_t **data, int *slot);
void qcow2_cache_dirty(struct qcow2_cache *c, int slot);
int qcow2_cache_writeback(struct qcow2 *q, struct qcow2_cache *c);
void qcow2_cache_drop(struct qcow2_cache *c, uint64_t off);

/* qcow2_refcount.c */
int qcow2_refcount_get(struct qcow2 *q, uint64_t cluster, uint64_t *rc);
int qcow2_refcount_add(struct qcow2 *q, uint64_t cluster, int delta);
/* Allocates one cluster (refcount 1 in the cache); returns its host offset. */
int qcow2_alloc_cluster(struct qcow2 *q, uint64_t *off);
int qcow2_free_later(struct qcow2 *q, uint64_t cluster);
/* Ordered metadata writeback: refcounts, barrier, L2/L1, barrier, frees. */
int qcow2_flush_metadata(struct qcow2 *q);
uint64_t qcow2_rb_get(const uint8_t *blk, unsigned order, uint64_t i);
void qcow2_rb_set(uint8_t *blk, unsigned order, uint64_t i, uint64_t v);

/* qcow2_map.c */
/* Validates a host cluster range from metadata before use. */
int qcow2_check_host(struct qcow2 *q, uint64_t off, uint64_t len, const char *what);
/* L2 entry for guest offset (0 if unallocated), host byte order. */
int qcow2_get_entry(struct qcow2 *q, uint64_t goff, uint64_t *entry);
int qcow2_preadv(struct disk *d, const struct iovec *iov, int iovcnt, uint64_t off);
int qcow2_pwritev(struct disk *d, const struct iovec *iov, int iovcnt, uint64_t off);
int qcow2_flush(struct disk *d);
int qcow2_discard(struct disk *d, uint64_t off, uint64_t len);
int qcow2_write_zeroes(struct disk *d, uint64_t off, uint64_t len);
int qcow2_block_status(struct disk *d, uint64_t off, uint64_t len, uint64_t *pnum);

/* qcow2_compress.c */
int qcow2_read_compressed(struct qcow2 *q, uint64_t entry, uint8_t **cluster);
void qcow2_compressed_range(const struct qcow2 *q, uint64_t entry, uint64_t *off, uint64_t *len);
void qcow2_compress_free(struct qcow2 *q);

#endif

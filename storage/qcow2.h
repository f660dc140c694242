/* qcow2 image format: create, inspect, check, rebase. Reads and writes go
 * through struct disk (disk_open with format "qcow2"). Specification:
 * docs/interop/qcow2.txt in QEMU's source tree. */
#ifndef VMDECK_STORAGE_QCOW2_H
#define VMDECK_STORAGE_QCOW2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "disk.h"

/* Creates a version 3 image (refcount_order 4, zlib compression type).
 * cluster_size: power of two 512..2 MiB (0 = 64 KiB). size 0 with a backing
 * file takes the backing file's size. backing_path is stored as given; it is
 * resolved relative to path's directory. backing_fmt is required when
 * backing_path is set (recorded in the backing-format header extension). */
int qcow2_create(const char *path, uint64_t size, uint64_t cluster_size, const char *backing_path,
		 const char *backing_fmt, char *err, size_t errlen);

struct qcow2_info {
	uint32_t version;
	uint64_t cluster_size;
	unsigned refcount_bits;
	uint64_t incompatible, compatible, autoclear;
	bool dirty, corrupt, lazy_refcounts;
	uint32_t nb_snapshots;
	int compression_type; /* 0 zlib, 1 zstd */
	uint64_t l1_size;
	char backing_file[1024]; /* as recorded in the header ("" if none) */
	char backing_fmt[64];    /* "" if not recorded */
};

/* -EINVAL if d is not a qcow2 disk. */
int qcow2_get_info(struct disk *d, struct qcow2_info *out);

struct qcow2_check_result {
	uint64_t corruptions;
	uint64_t leaks;
	uint64_t allocated_clusters; /* guest clusters with data in this image */
	uint64_t total_clusters;     /* guest clusters in the virtual disk */
	uint64_t compressed_clusters;
	uint64_t image_end_offset;
	uint64_t leaks_fixed;
};

/* Callback for one line of the check report. */
typedef void (*qcow2_check_report_fn)(void *ctx, const char *msg);

/* Walks all metadata and compares computed reference counts with the stored
 * ones. repair_leaks: lower refcounts of leaked clusters (only when no
 * corruption was found). Returns 0 when the check ran (see the result), or
 * -errno when the image could not be checked at all. */
int qcow2_check(const char *path, bool repair_leaks, struct qcow2_check_result *res,
		qcow2_check_report_fn report, void *ctx, char *err, size_t errlen);

/* Rewrites the backing file name and format in the header without touching
 * data (rebase -u). backing NULL removes the backing file. */
int qcow2_set_backing(const char *path, const char *backing, const char *backing_fmt,
		      char *err, size_t errlen);

#endif

/* qcow2 header and header-extension parsing (spec "Header", "Header
 * extensions"). Every field is range-checked here, before any table sized by
 * the file is allocated. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qcow2_int.h"

static uint32_t be32_at(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return be32toh(v);
}

static uint64_t be64_at(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return be64toh(v);
}

/* Name an unknown incompatible feature from the feature name table when the
 * image carries one (spec "Feature name table"). */
static void feature_name(const uint8_t *tbl, uint32_t len, unsigned bit, char *out, size_t outlen)
{
	snprintf(out, outlen, "bit %u", bit);
	for (uint32_t i = 0; i + 48 <= len; i += 48) {
		if (tbl[i] == 0 && tbl[i + 1] == bit) {
			char name[47];
			memcpy(name, tbl + i + 2, 46);
			name[46] = 0;
			snprintf(out, outlen, "bit %u '%s'", bit, name);
			return;
		}
	}
}

int qcow2_read_header(struct bfile *f, uint64_t file_size, struct qcow2_header *h,
		      uint8_t **cluster0, char *err, size_t errlen)
{
	const char *path = f->path;
	uint8_t b[112];
	memset(h, 0, sizeof(*h));
	*cluster0 = NULL;
	if (file_size < 72) {
		disk_seterr(err, errlen, "%s: qcow2: file too short for a header (%" PRIu64 " bytes)",
			    path, file_size);
		return -EINVAL;
	}
	int ret = bfile_pread(f, b, sizeof(b), 0);
	if (ret) {
		disk_seterr(err, errlen, "%s: reading header: %s", path, strerror(-ret));
		return ret;
	}
	if (be32_at(b) != QCOW2_MAGIC) {
		disk_seterr(err, errlen, "%s: not a qcow2 image (bad magic)", path);
		return -EINVAL;
	}
	h->version = be32_at(b + 4);
	if (h->version != 2 && h->version != 3) {
		disk_seterr(err, errlen, "%s: qcow2 version %u not supported (2 or 3)", path, h->version);
		return -ENOTSUP;
	}
	h->backing_file_offset = be64_at(b + 8);
	h->backing_file_size = be32_at(b + 16);
	h->cluster_bits = be32_at(b + 20);
	h->size = be64_at(b + 24);
	h->crypt_method = be32_at(b + 32);
	h->l1_size = be32_at(b + 36);
	h->l1_table_offset = be64_at(b + 40);
	h->refcount_table_offset = be64_at(b + 48);
	h->refcount_table_clusters = be32_at(b + 56);
	h->nb_snapshots = be32_at(b + 60);
	h->snapshots_offset = be64_at(b + 64);
	if (h->version == 2) {
		h->refcount_order = 4;
		h->header_length = 72;
	} else {
		h->incompatible = be64_at(b + 72);
		h->compatible = be64_at(b + 80);
		h->autoclear = be64_at(b + 88);
		h->refcount_order = be32_at(b + 96);
		h->header_length = be32_at(b + 100);
	}
	if (h->cluster_bits < QCOW2_MIN_CLUSTER_BITS || h->cluster_bits > QCOW2_MAX_CLUSTER_BITS) {
		disk_seterr(err, errlen, "%s: qcow2 cluster_bits %u out of range (9..21)", path,
			    h->cluster_bits);
		return -EINVAL;
	}
	uint64_t cs = 1ull << h->cluster_bits;
	if (h->version == 3 &&
	    (h->header_length < 104 || h->header_length % 8 || h->header_length > cs)) {
		disk_seterr(err, errlen, "%s: qcow2 header_length %u invalid", path, h->header_length);
		return -EINVAL;
	}
	if (h->refcount_order > 6) {
		disk_seterr(err, errlen, "%s: qcow2 refcount_order %u invalid (max 6)", path,
			    h->refcount_order);
		return -EINVAL;
	}
	if (h->header_length > 104)
		h->compression_type = b[104];
	if (h->crypt_method) {
		disk_seterr(err, errlen, "%s: encrypted qcow2 images are not supported (crypt_method %u)",
			    path, h->crypt_method);
		return -ENOTSUP;
	}
	if (h->size > QCOW2_MAX_VIRTUAL_SIZE) {
		disk_seterr(err, errlen, "%s: qcow2 virtual size %" PRIu64 " too large", path, h->size);
		return -EFBIG;
	}

	/* The header extensions and the backing file name live in cluster 0. */
	uint8_t *c0 = calloc(1, cs);
	if (!c0)
		return -ENOMEM;
	ret = bfile_pread(f, c0, cs, 0);
	if (ret) {
		free(c0);
		disk_seterr(err, errlen, "%s: reading header cluster: %s", path, strerror(-ret));
		return ret;
	}
	uint64_t ext_end = cs;
	if (h->backing_file_offset) {
		if (h->backing_file_size > QCOW2_MAX_BACKING_NAME ||
		    h->backing_file_offset >= cs ||
		    h->backing_file_offset + h->backing_file_size > cs ||
		    h->backing_file_offset < h->header_length) {
			free(c0);
			disk_seterr(err, errlen, "%s: qcow2 backing file name (offset %" PRIu64
				    ", length %u) outside the header cluster", path,
				    h->backing_file_offset, h->backing_file_size);
			return -EINVAL;
		}
		memcpy(h->backing_file, c0 + h->backing_file_offset, h->backing_file_size);
		h->backing_file[h->backing_file_size] = 0;
		if (strlen(h->backing_file) != h->backing_file_size || !h->backing_file_size) {
			free(c0);
			disk_seterr(err, errlen, "%s: qcow2 backing file name contains NUL or is empty",
				    path);
			return -EINVAL;
		}
		ext_end = h->backing_file_offset;
	}
	const uint8_t *fnt = NULL;
	uint32_t fnt_len = 0;
	uint64_t pos = h->header_length;
	while (pos + 8 <= ext_end) {
		uint32_t type = be32_at(c0 + pos), len = be32_at(c0 + pos + 4);
		if (type == QCOW2_EXT_END)
			break;
		if (len > ext_end - pos - 8) {
			free(c0);
			disk_seterr(err, errlen, "%s: qcow2 header extension 0x%08x (length %u) overflows "
				    "the header cluster", path, type, len);
			return -EINVAL;
		}
		const uint8_t *data = c0 + pos + 8;
		if (type == QCOW2_EXT_BACKING_FMT) {
			if (len == 0 || len >= sizeof(h->backing_fmt)) {
				free(c0);
				disk_seterr(err, errlen, "%s: qcow2 backing format extension length %u invalid",
					    path, len);
				return -EINVAL;
			}
			memcpy(h->backing_fmt, data, len);
			h->backing_fmt[len] = 0;
			h->has_backing_fmt = true;
		} else if (type == QCOW2_EXT_FEATURE_NAME) {
			fnt = data;
			fnt_len = len;
		}
		pos += 8 + (((uint64_t)len + 7) & ~7ull);
	}

	/* Incompatible features (spec: must refuse unknown bits). */
	uint64_t known = QCOW2_INCOMPAT_DIRTY | QCOW2_INCOMPAT_CORRUPT | QCOW2_INCOMPAT_DATA_FILE |
			 QCOW2_INCOMPAT_COMPRESSION | QCOW2_INCOMPAT_EXTL2;
	if (h->incompatible & ~known) {
		unsigned bit = (unsigned)__builtin_ctzll(h->incompatible & ~known);
		char name[80];
		feature_name(fnt, fnt ? fnt_len : 0, bit, name, sizeof(name));
		free(c0);
		disk_seterr(err, errlen, "%s: qcow2 unknown incompatible feature %s", path, name);
		return -ENOTSUP;
	}
	if (h->incompatible & QCOW2_INCOMPAT_DATA_FILE) {
		free(c0);
		disk_seterr(err, errlen, "%s: qcow2 external data files are not supported", path);
		return -ENOTSUP;
	}
	if (h->incompatible & QCOW2_INCOMPAT_EXTL2) {
		free(c0);
		disk_seterr(err, errlen, "%s: qcow2 extended L2 entries (subclusters) are not supported",
			    path);
		return -ENOTSUP;
	}
	if (h->incompatible & QCOW2_INCOMPAT_COMPRESSION) {
		if (h->compression_type != 1) {
			free(c0);
			disk_seterr(err, errlen, "%s: qcow2 compression type %u not supported", path,
				    h->compression_type);
			return -ENOTSUP;
		}
	} else if (h->compression_type != 0) {
		free(c0);
		disk_seterr(err, errlen, "%s: qcow2 compression_type %u set without its feature bit",
			    path, h->compression_type);
		return -EINVAL;
	}
	*cluster0 = c0;
	return 0;
}

/* Writes one big-endian header field in place (4 or 8 bytes, or 12 for the
 * refcount table offset+clusters pair done by the caller as two calls). */
int qcow2_write_header_field(struct qcow2 *q, unsigned off, uint64_t val, unsigned width)
{
	uint8_t b[8];
	if (width == 8) {
		uint64_t v = htobe64(val);
		memcpy(b, &v, 8);
	} else {
		uint32_t v = htobe32((uint32_t)val);
		memcpy(b, &v, 4);
	}
	return bfile_pwrite(&q->f, b, width, off);
}

/* Compressed cluster reads (spec "Compressed Clusters Descriptor"): raw
 * deflate (compression_type 0) or zstd (compression_type 1). Output must be
 * exactly one cluster; input is bounded by the descriptor (at most two
 * clusters) and by the end of the file. The last decompressed cluster is
 * kept, so sequential reads of one cluster decompress once. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "qcow2_int.h"

void qcow2_compressed_range(const struct qcow2 *q, uint64_t entry, uint64_t *off, uint64_t *len)
{
	unsigned x = 62 - (q->cb - 8);
	uint64_t sectors = (entry >> x) & ((1ull << (q->cb - 8)) - 1);
	*off = entry & ((1ull << x) - 1);
	*len = (sectors + 1) * 512 - (*off & 511);
}

static int inflate_raw(const uint8_t *in, size_t inlen, uint8_t *out, size_t outlen)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	/* -15: raw deflate, any window up to 32 KiB (QEMU writes -12) */
	if (inflateInit2(&zs, -15) != Z_OK)
		return -ENOMEM;
	zs.next_in = (Bytef *)in;
	zs.avail_in = (uInt)inlen;
	zs.next_out = out;
	zs.avail_out = (uInt)outlen;
	int r = inflate(&zs, Z_FINISH);
	size_t got = outlen - zs.avail_out;
	inflateEnd(&zs);
	/* the input may carry padding after the stream: a full cluster is what
	 * counts (spec: decompression stops when it has produced a cluster) */
	if ((r == Z_STREAM_END || r == Z_OK || r == Z_BUF_ERROR) && got == outlen)
		return 0;
	return -EIO;
}

static int unzstd(struct qcow2 *q, const uint8_t *in, size_t inlen, uint8_t *out, size_t outlen)
{
	if (!q->zstd_dctx) {
		q->zstd_dctx = ZSTD_createDCtx();
		if (!q->zstd_dctx)
			return -ENOMEM;
	}
	ZSTD_DCtx *dctx = q->zstd_dctx;
	ZSTD_DCtx_reset(dctx, ZSTD_reset_session_only);
	ZSTD_inBuffer ib = { in, inlen, 0 };
	ZSTD_outBuffer ob = { out, outlen, 0 };
	while (ob.pos < ob.size && ib.pos < ib.size) {
		size_t r = ZSTD_decompressStream(dctx, &ob, &ib);
		if (ZSTD_isError(r))
			return -EIO;
		if (r == 0)
			break; /* frame complete */
	}
	return ob.pos == outlen ? 0 : -EIO;
}

int qcow2_read_compressed(struct qcow2 *q, uint64_t entry, uint8_t **cluster)
{
	if (q->zout && q->zout_entry == entry) {
		*cluster = q->zout;
		return 0;
	}
	if (!q->zout) {
		q->zout = malloc(q->cs);
		q->zin = malloc(2 * q->cs);
		if (!q->zout || !q->zin)
			return -ENOMEM;
	}
	q->zout_entry = 0;
	uint64_t off, len;
	qcow2_compressed_range(q, entry, &off, &len);
	if (off < q->cs || off >= QCOW2_MAX_HOST_OFFSET || off >= q->file_size) {
		disk_set_ioerr(&q->disk, "%s: qcow2 compressed cluster at 0x%" PRIx64
			       " in the header or past end of file", q->disk.path, off);
		return -EIO;
	}
	if (len > q->file_size - off)
		len = q->file_size - off; /* the last sector may be partial at EOF */
	int ret = bfile_pread(&q->f, q->zin, len, off);
	if (ret) {
		disk_set_ioerr(&q->disk, "%s: reading compressed cluster: %s", q->disk.path,
			       strerror(-ret));
		return ret;
	}
	if (q->h.compression_type == 1)
		ret = unzstd(q, q->zin, len, q->zout, q->cs);
	else
		ret = inflate_raw(q->zin, len, q->zout, q->cs);
	if (ret) {
		disk_set_ioerr(&q->disk, "%s: qcow2 compressed cluster at 0x%" PRIx64
			       " does not decompress to a cluster (%s)", q->disk.path, off,
			       q->h.compression_type == 1 ? "zstd" : "deflate");
		return ret == -ENOMEM ? ret : -EIO;
	}
	q->zout_entry = entry;
	*cluster = q->zout;
	return 0;
}

void qcow2_compress_free(struct qcow2 *q)
{
	if (q->zstd_dctx)
		ZSTD_freeDCtx(q->zstd_dctx);
	q->zstd_dctx = NULL;
}

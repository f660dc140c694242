/* virtio-blk; see virtio_blk.h. Sections: virtio 1.2. */
#include <endian.h>
#include <errno.h>
#include <linux/pci_regs.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disk.h"
#include "virtio_blk.h"
#include "virtio_pci.h"
#include "vm.h"

#define BLK_QUEUE_SIZE 256
#define BLK_SECTOR 512u
#define BLK_MAX_DISCARD_SECTORS (1u << 22) /* 2 GiB per segment */
#define BLK_MAX_DISCARD_SEG 16

enum { LOG_BAD_BUFFER = 16, LOG_SHORT_HDR, LOG_BAD_LEN, LOG_RANGE, LOG_IO, LOG_RO,
       LOG_UNSUPP, LOG_DISCARD };

struct virtio_blk {
	struct virtio_pci *vp;
	struct disk *disk;
	uint64_t sectors;
	struct virtio_blk_config cfg; /* little-endian, fixed after creation */
	char serial[VIRTIO_BLK_ID_BYTES];
	struct virtio_blk_stats stats;
	/* Device-thread scratch: no per-request allocation. */
	struct virtq_req req;
	struct iovec data[VIRTQ_MAX_SIZE];
};

static void blk_cfg_read(void *opaque, uint64_t off, void *data, unsigned size)
{
	struct virtio_blk *b = opaque;
	memcpy(data, (const uint8_t *)&b->cfg + off, size); /* bounds checked by virtio_pci */
}

static void blk_count(_Atomic uint64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/* Sector range [sector, sector + bytes/512) inside the disk, without
 * overflow; bytes a multiple of 512 (5.2.6.1). */
static bool blk_range_ok(struct virtio_blk *b, uint64_t sector, uint64_t bytes)
{
	return bytes % BLK_SECTOR == 0 && sector <= b->sectors &&
	       bytes / BLK_SECTOR <= b->sectors - sector;
}

/* DISCARD / WRITE_ZEROES (5.2.6.2): payload is an array of 16-byte ranges. */
static uint8_t blk_discard_zero(struct virtio_pci *vp, struct virtio_blk *b, uint32_t type)
{
	const struct virtq_req *r = &b->req;
	uint64_t payload = r->out_len - sizeof(struct virtio_blk_outhdr);
	bool zero = type == VIRTIO_BLK_T_WRITE_ZEROES;

	if (b->disk->readonly)
		return VIRTIO_BLK_S_IOERR;
	if (payload == 0 || payload % sizeof(struct virtio_blk_discard_write_zeroes) ||
	    payload / sizeof(struct virtio_blk_discard_write_zeroes) > BLK_MAX_DISCARD_SEG) {
		virtio_pci_log_once(vp, LOG_DISCARD, "discard/write-zeroes payload of %llu bytes "
				    "refused", (unsigned long long)payload);
		return VIRTIO_BLK_S_IOERR;
	}
	for (uint64_t off = sizeof(struct virtio_blk_outhdr); off < r->out_len;
	     off += sizeof(struct virtio_blk_discard_write_zeroes)) {
		struct virtio_blk_discard_write_zeroes seg;
		uint64_t sector;
		uint32_t n, flags;
		int e;

		virtq_iov_read(r->iov, r->n_out, off, &seg, sizeof(seg));
		sector = le64toh(seg.sector);
		n = le32toh(seg.num_sectors);
		flags = le32toh(seg.flags);
		/* 5.2.6.2: unmap is meaningless for discard; unknown flags. */
		if ((!zero && flags) || (zero && (flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP)))
			return VIRTIO_BLK_S_UNSUPP;
		if (n > BLK_MAX_DISCARD_SECTORS || !blk_range_ok(b, sector, (uint64_t)n * BLK_SECTOR)) {
			virtio_pci_log_once(vp, LOG_RANGE, "sector range %llu+%u outside the "
					    "disk (%llu sectors)", (unsigned long long)sector, n,
					    (unsigned long long)b->sectors);
			return VIRTIO_BLK_S_IOERR;
		}
		if (n == 0)
			continue;
		e = zero ? disk_write_zeroes(b->disk, sector * BLK_SECTOR, (uint64_t)n * BLK_SECTOR)
			 : disk_discard(b->disk, sector * BLK_SECTOR, (uint64_t)n * BLK_SECTOR);
		if (e) {
			virtio_pci_log_once(vp, LOG_IO, "%s: %s", zero ? "write-zeroes" : "discard",
					    b->disk->errmsg[0] ? b->disk->errmsg : strerror(-e));
			return VIRTIO_BLK_S_IOERR;
		}
	}
	blk_count(zero ? &b->stats.write_zeroes : &b->stats.discards, 1);
	return VIRTIO_BLK_S_OK;
}

/* Runs one request; returns the status, *written = bytes written to the
 * driver's buffers before the status byte. */
static uint8_t blk_do(struct virtio_pci *vp, struct virtio_blk *b, uint64_t *written)
{
	const struct virtq_req *r = &b->req;
	struct virtio_blk_outhdr hdr;
	uint64_t sector, len;
	uint32_t type;
	int n, e;

	*written = 0;
	if (r->error != VIRTQ_OK) {
		virtio_pci_log_once(vp, LOG_BAD_BUFFER, "bad request buffer: %s", r->why);
		return VIRTIO_BLK_S_IOERR;
	}
	/* 5.2.6: the header is the first 16 device-readable bytes. */
	if (r->out_len < sizeof(hdr)) {
		virtio_pci_log_once(vp, LOG_SHORT_HDR, "request header of %llu bytes",
				    (unsigned long long)r->out_len);
		return VIRTIO_BLK_S_IOERR;
	}
	virtq_iov_read(r->iov, r->n_out, 0, &hdr, sizeof(hdr));
	type = le32toh(hdr.type);
	sector = le64toh(hdr.sector);

	switch (type) {
	case VIRTIO_BLK_T_IN:
		len = r->in_len - 1;
		if (!blk_range_ok(b, sector, len))
			goto range;
		n = virtq_iov_slice(r->iov + r->n_out, r->n_in, 0, len, b->data, VIRTQ_MAX_SIZE);
		if (n < 0)
			return VIRTIO_BLK_S_IOERR;
		e = n ? disk_preadv(b->disk, b->data, n, sector * BLK_SECTOR) : 0;
		if (e)
			goto ioerr;
		blk_count(&b->stats.reads, 1);
		blk_count(&b->stats.read_bytes, len);
		*written = len;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_OUT:
		if (b->disk->readonly) {
			virtio_pci_log_once(vp, LOG_RO, "write to a read-only disk refused");
			return VIRTIO_BLK_S_IOERR;
		}
		len = r->out_len - sizeof(hdr);
		if (!blk_range_ok(b, sector, len))
			goto range;
		n = virtq_iov_slice(r->iov, r->n_out, sizeof(hdr), len, b->data, VIRTQ_MAX_SIZE);
		if (n < 0)
			return VIRTIO_BLK_S_IOERR;
		e = n ? disk_pwritev(b->disk, b->data, n, sector * BLK_SECTOR) : 0;
		if (e)
			goto ioerr;
		blk_count(&b->stats.writes, 1);
		blk_count(&b->stats.write_bytes, len);
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_FLUSH:
		e = disk_flush(b->disk);
		if (e)
			goto ioerr;
		blk_count(&b->stats.flushes, 1);
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID: {
		/* 5.2.6: up to 20 bytes, not NUL-terminated if it fills them. */
		size_t k = r->in_len - 1 < VIRTIO_BLK_ID_BYTES ? (size_t)(r->in_len - 1)
							       : VIRTIO_BLK_ID_BYTES;
		*written = virtq_iov_write(r->iov + r->n_out, r->n_in, 0, b->serial, k);
		blk_count(&b->stats.get_ids, 1);
		return VIRTIO_BLK_S_OK;
	}
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return blk_discard_zero(vp, b, type);
	default:
		virtio_pci_log_once(vp, LOG_UNSUPP, "unsupported request type %u", type);
		return VIRTIO_BLK_S_UNSUPP;
	}
range:
	virtio_pci_log_once(vp, LOG_RANGE, "request at sector %llu, %llu bytes: not a multiple "
			    "of 512 or outside the disk (%llu sectors)", (unsigned long long)sector,
			    (unsigned long long)len, (unsigned long long)b->sectors);
	return VIRTIO_BLK_S_IOERR;
ioerr:
	virtio_pci_log_once(vp, LOG_IO, "I/O error at sector %llu: %s", (unsigned long long)sector,
			    b->disk->errmsg[0] ? b->disk->errmsg : strerror(-e));
	return VIRTIO_BLK_S_IOERR;
}

static void blk_queue_notify(void *opaque, struct virtio_pci *vp, unsigned qi)
{
	struct virtio_blk *b = opaque;
	struct virtq *q = virtio_pci_queue(vp, qi);
	struct virtq_req *r = &b->req;

	do {
		int got;
		while ((got = virtq_pop(q, r)) > 0) {
			const struct iovec *st;
			uint64_t written;
			uint8_t status;

			/* 5.2.6: the status byte is the last writable byte; a
			 * request without one cannot be failed in-band. */
			if (r->n_in == 0 || !(st = &r->iov[r->n_out + r->n_in - 1])->iov_base ||
			    st->iov_len == 0) {
				virtio_pci_set_needs_reset(vp, r->error == VIRTQ_OK ?
					"request without a writable status byte" : r->why);
				return;
			}
			status = blk_do(vp, b, &written);
			if (status != VIRTIO_BLK_S_OK)
				blk_count(&b->stats.errors, 1);
			((uint8_t *)st->iov_base)[st->iov_len - 1] = status;
			virtq_push(q, r->head, (uint32_t)(written + 1));
		}
		if (got < 0) {
			virtio_pci_set_needs_reset(vp, r->why);
			return;
		}
		virtio_pci_notify_used(vp, qi);
	} while (virtq_enable_notify(q));
}

static const struct virtio_dev_ops blk_ops = {
	.cfg_read = blk_cfg_read,
	.queue_notify = blk_queue_notify,
};

int virtio_blk_create(struct vm *vm, struct disk *disk, const char *name, const char *serial,
		      struct virtio_blk **out, char *err, size_t errlen)
{
	struct virtio_blk *b = calloc(1, sizeof(*b));
	uint64_t features = (1ULL << VIRTIO_BLK_F_SEG_MAX) | (1ULL << VIRTIO_BLK_F_BLK_SIZE) |
			    (1ULL << VIRTIO_BLK_F_FLUSH);
	struct virtio_pci_params p = {
		.name = name, .device_type = VIRTIO_ID_BLOCK,
		.class_code = 0x010000, /* mass storage, SCSI: 01/00/00 as QEMU */
		.nqueues = 1, .queue_max = BLK_QUEUE_SIZE,
		.cfg_size = sizeof(struct virtio_blk_config), .ops = &blk_ops,
	};
	int r;

	if (!b) {
		snprintf(err, errlen, "%s: out of memory", name);
		return -ENOMEM;
	}
	b->disk = disk;
	b->sectors = disk->size / BLK_SECTOR;
	/* 5.2.4 */
	b->cfg.capacity = htole64(b->sectors);
	b->cfg.seg_max = htole32(BLK_QUEUE_SIZE - 2); /* header and status need one each */
	b->cfg.blk_size = htole32(BLK_SECTOR);
	if (disk->readonly) {
		features |= 1ULL << VIRTIO_BLK_F_RO;
	} else {
		features |= (1ULL << VIRTIO_BLK_F_DISCARD) | (1ULL << VIRTIO_BLK_F_WRITE_ZEROES);
		b->cfg.max_discard_sectors = htole32(BLK_MAX_DISCARD_SECTORS);
		b->cfg.max_discard_seg = htole32(BLK_MAX_DISCARD_SEG);
		b->cfg.discard_sector_alignment = htole32(1);
		b->cfg.max_write_zeroes_sectors = htole32(BLK_MAX_DISCARD_SECTORS);
		b->cfg.max_write_zeroes_seg = htole32(BLK_MAX_DISCARD_SEG);
		b->cfg.write_zeroes_may_unmap = 1;
	}
	strncpy(b->serial, serial ? serial : "", sizeof(b->serial));
	p.features = features;
	p.opaque = b;
	r = virtio_pci_create(vm, &p, &b->vp, err, errlen);
	if (r) {
		free(b);
		return r;
	}
	*out = b;
	return 0;
}

void virtio_blk_destroy(struct virtio_blk *b)
{
	if (!b)
		return;
	virtio_pci_destroy(b->vp);
	if (!b->disk->readonly)
		disk_flush(b->disk);
	disk_close(b->disk);
	free(b);
}

const struct virtio_blk_stats *virtio_blk_stats(const struct virtio_blk *b)
{
	return &b->stats;
}

struct virtio_pci *virtio_blk_vp(struct virtio_blk *b)
{
	return b->vp;
}

struct disk *virtio_blk_disk(struct virtio_blk *b)
{
	return b->disk;
}

int virtio_blk_quiesce(struct virtio_blk *b)
{
	virtio_pci_quiesce(b->vp);
	/* Requests complete only once their data is in the image; a flush
	 * makes the image's own metadata (qcow2 tables) reach the file too. */
	return b->disk->readonly ? 0 : disk_flush(b->disk);
}

void virtio_blk_resume(struct virtio_blk *b)
{
	virtio_pci_resume(b->vp);
}

int virtio_blk_swap_disk(struct virtio_blk *b, struct disk *d, char *err, size_t errlen)
{
	struct disk *old = b->disk;
	int r = 0;

	/* What the guest sees (capacity, VIRTIO_BLK_F_RO) must not change. */
	if (d->size / BLK_SECTOR != b->sectors || d->readonly != old->readonly) {
		snprintf(err, errlen, "%s: the new image has %llu sectors%s, the device %llu%s",
			 virtio_pci_name(b->vp), (unsigned long long)(d->size / BLK_SECTOR),
			 d->readonly ? " (read-only)" : "", (unsigned long long)b->sectors,
			 old->readonly ? " (read-only)" : "");
		return -EINVAL;
	}
	b->disk = d;
	if (!old->readonly)
		r = disk_flush(old);
	if (r)
		snprintf(err, errlen, "%s: flushing the old image: %s", virtio_pci_name(b->vp),
			 old->errmsg[0] ? old->errmsg : strerror(-r));
	disk_close(old);
	return r;
}

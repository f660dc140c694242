/* virtio-blk (virtio 1.2, 5.2) over the disk interface of storage/disk.h.
 *
 * One request queue; requests run on the device's own thread (the
 * virtio-pci device thread), so a vCPU never waits for disk I/O. Supported:
 * IN, OUT, FLUSH, GET_ID, DISCARD, WRITE_ZEROES; capacity, seg_max,
 * blk_size, discard/write-zeroes limits; VIRTIO_BLK_F_RO for read-only
 * disks. A request is a byte stream (2.6.4): 16-byte header, then data,
 * with the status byte as the last device-writable byte. Requests whose
 * buffers, lengths or sectors are wrong complete with VIRTIO_BLK_S_IOERR;
 * a request with no writable status byte, or a broken ring, sets
 * DEVICE_NEEDS_RESET. Nothing is allocated from guest-supplied sizes: data
 * moves between the image and guest RAM through iovecs. */
#ifndef VMDECK_VIRTIO_BLK_H
#define VMDECK_VIRTIO_BLK_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct disk;
struct virtio_blk;
struct virtio_pci;

struct virtio_blk_stats {
	_Atomic uint64_t reads, writes, read_bytes, write_bytes;
	_Atomic uint64_t flushes, discards, write_zeroes, get_ids;
	_Atomic uint64_t errors;       /* requests completed with IOERR/UNSUPP */
};

/* Creates the device on vm->pci. On success the device owns disk and
 * closes it in virtio_blk_destroy. serial: up to 20 bytes for GET_ID. */
int virtio_blk_create(struct vm *vm, struct disk *disk, const char *name, const char *serial,
		      struct virtio_blk **out, char *err, size_t errlen);
/* Stops the device thread, flushes and closes the disk. */
void virtio_blk_destroy(struct virtio_blk *b);
const struct virtio_blk_stats *virtio_blk_stats(const struct virtio_blk *b);
struct virtio_pci *virtio_blk_vp(struct virtio_blk *b);
struct disk *virtio_blk_disk(struct virtio_blk *b);

/* Snapshots, with the VM paused: quiesce waits until the device thread has
 * completed every request it took from the ring (nothing in flight, the
 * used ring says so) and flushes the image; the device starts nothing new
 * until resume. 0 or the flush's -errno. */
int virtio_blk_quiesce(struct virtio_blk *b);
void virtio_blk_resume(struct virtio_blk *b);
/* While quiesced: the device continues on d (same size and read-only
 * flag, else -EINVAL and nothing changes); the old image is flushed and
 * closed (a flush error is returned, the swap has happened). */
int virtio_blk_swap_disk(struct virtio_blk *b, struct disk *d, char *err, size_t errlen);

#endif
